// Reads the app's own files at install time, as many postinstall scripts do: writes the
// greeting the server compiles in (a "Cannot find module .../scripts/setup.js" when the install
// runs without the source).
const fs = require("fs");
const path = require("path");
const name = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")).name;
fs.writeFileSync(path.join(__dirname, "..", "src", "generated.ts"),
  `export const GREETING = "Hello from ${name}, set up by scripts/setup.js in postinstall";\n`);
