import Fastify from "fastify";

const app = Fastify({ logger: false });
app.get("/", async () => ({ message: "Hello from node-fastify-pnpm!", manager: "pnpm" }));

await app.listen({ host: "0.0.0.0", port: Number(process.env.PORT || 8080) });
