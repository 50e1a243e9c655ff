package main

import (
	"fmt"
	"log"
	"net/http"
	"os"

	greeting "example.com/go-cmd"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("name")
		if name == "" {
			name = "visitor"
		}
		fmt.Fprintln(w, greeting.For(name))
	})
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
