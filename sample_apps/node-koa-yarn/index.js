const Koa = require("koa");
const Router = require("@koa/router");

const app = new Koa();
const router = new Router();
router.get("/", (ctx) => {
  ctx.body = { message: "Hello from node-koa-yarn!", yarn: "classic" };
});
app.use(router.routes());
app.listen(process.env.PORT || 8080);
