import { createServer } from "http";
import { GREETING } from "./generated";

const port = Number(process.env.PORT ?? 8080);
createServer((_req, res) => {
  res.writeHead(200, { "content-type": "text/plain" });
  res.end(GREETING + "\n");
}).listen(port, () => console.log(`listening on ${port}`));
