const http = require("node:http");

http
  .createServer((req, res) => res.end(`node-engines runs Node ${process.version}\n`))
  .listen(process.env.PORT || 8080);
