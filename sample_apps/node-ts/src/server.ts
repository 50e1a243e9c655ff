import { createServer, IncomingMessage, ServerResponse } from "node:http";

interface Greeting {
  message: string;
  compiled: boolean;
}

const greeting: Greeting = { message: "Hello from node-ts!", compiled: true };
const port: number = Number(process.env.PORT ?? 8080);

createServer((req: IncomingMessage, res: ServerResponse) => {
  res.setHeader("content-type", "application/json");
  res.end(JSON.stringify(greeting));
}).listen(port);
