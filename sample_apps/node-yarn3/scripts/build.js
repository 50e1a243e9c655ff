// The build script: what it writes exists only in the image (dist/ is not in the repository).
const fs = require("fs");

fs.mkdirSync("dist", { recursive: true });
fs.writeFileSync("dist/greeting.txt", "Hello from node-yarn3 (Yarn 3.2.4, Koa, built by yarn run build)");
