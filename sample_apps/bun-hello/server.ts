// A Bun server in TypeScript: Bun runs it as it is, no tsc.
const port: number = Number(process.env.PORT) || 3000;

const server = Bun.serve({
  port,
  fetch(): Response {
    return new Response(`Hello from bun-hello! (Bun ${Bun.version})`);
  },
});

console.log(`bun-hello listening on ${server.port}`);
