package main

import (
	"database/sql"
	"fmt"
	"log"
	"net/http"
	"os"

	_ "github.com/mattn/go-sqlite3"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		log.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one connection: one in-memory database
	if _, err := db.Exec("CREATE TABLE visits (n INTEGER)"); err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		// The count and the version come from SQLite's C code, through cgo.
		var version string
		var visits int
		if _, err := db.Exec("INSERT INTO visits VALUES (1)"); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		if err := db.QueryRow("SELECT sqlite_version(), count(*) FROM visits").Scan(&version, &visits); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		fmt.Fprintf(w, "go-sqlite3: SQLite %s, visit %d\n", version, visits)
	})
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
