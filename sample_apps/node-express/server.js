const express = require("express");

const app = express();
const port = process.env.PORT || 8080;

app.get("/", (req, res) => {
  res.send(`Hello from node-express on Node ${process.version} (${process.env.NODE_ENV})!\n`);
});

app.listen(port, () => console.log(`node-express listening on ${port}`));
