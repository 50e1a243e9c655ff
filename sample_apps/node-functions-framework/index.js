// A Google Cloud Function: the functions framework's own bin serves it (--target names the
// export), found in the dependency's package.json `bin` at build time.
const functions = require("@google-cloud/functions-framework");

functions.http("helloWorld", (req, res) => {
  res.send("Hello from node-functions-framework (target helloWorld)\n");
});
