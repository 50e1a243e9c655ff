// better-sqlite3 is a node-gyp addon: every answer comes from its compiled C++ and SQLite.
const http = require("http");
const Database = require("better-sqlite3");

const db = new Database(":memory:");
db.exec("CREATE TABLE visits (n INTEGER)");
const insert = db.prepare("INSERT INTO visits VALUES (1)");
const count = db.prepare("SELECT sqlite_version() AS version, count(*) AS visits FROM visits");

http.createServer((req, res) => {
  insert.run();
  const row = count.get();
  res.writeHead(200, { "Content-Type": "text/plain" });
  res.end(`node-better-sqlite3: SQLite ${row.version}, visit ${row.visits}\n`);
}).listen(Number(process.env.PORT || 8080));
