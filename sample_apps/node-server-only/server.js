// A server.js and nothing else: no package.json, Node's built-in modules only.
const http = require("node:http");
const os = require("os");

const port = Number(process.env.PORT || 8080);
http.createServer((req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(`Hello from node-server-only on Node ${process.version} (${os.platform()})\n`);
}).listen(port, "0.0.0.0", () => console.log(`listening on ${port}`));
