import Koa from "koa";

const app = new Koa();
const greeting: string = "Hello from node-yarn4-build (Yarn 4, built by tsc)";
app.use((ctx) => {
  ctx.body = `${greeting}\n`;
});
app.listen(Number(process.env.PORT || 8080), "0.0.0.0");
