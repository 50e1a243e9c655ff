package main

import (
	"fmt"
	"log"
	"net/http"
	"os"

	"github.com/google/uuid"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	namespace := uuid.NameSpaceURL
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		id := uuid.NewSHA1(namespace, []byte("https://example.com/go-deps"))
		fmt.Fprintf(w, "go-deps id %s\n", id)
	})
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
