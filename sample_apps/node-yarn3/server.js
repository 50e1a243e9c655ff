const fs = require("fs");
const Koa = require("koa");

const greeting = fs.readFileSync(`${__dirname}/dist/greeting.txt`, "utf8");
const app = new Koa();
app.use((ctx) => {
  ctx.body = `${greeting} on Node ${process.version}\n`;
});
app.listen(Number(process.env.PORT || 8080), "0.0.0.0");
