const Koa = require("koa");

const app = new Koa();
app.use((ctx) => {
  ctx.body = `Hello from node-yarn3 (Yarn 3.2.4, Koa) on Node ${process.version}\n`;
});
app.listen(Number(process.env.PORT || 8080), "0.0.0.0");
