// Listens where HOST says, on localhost otherwise, as Astro's node adapter, SvelteKit's
// adapter-node and remix-serve do: reachable from outside the container only with HOST=0.0.0.0.
const http = require("node:http");

const host = process.env.HOST || "localhost";
const port = Number(process.env.PORT || 8080);
http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(`Hello from node-host-env, listening on ${host}\n`);
}).listen(port, host, () => console.log(`listening on ${host}:${port}`));
