module example.com/go-sqlite3

go 1.22

require github.com/mattn/go-sqlite3 v1.14.32
