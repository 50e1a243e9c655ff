package main

import (
	"crypto/x509"
	"fmt"
	"log"
	"net/http"
	"os"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "Hello from go-hello!")
	})
	// How many CA certificates an HTTPS client here would trust: 0 means no CA bundle.
	http.HandleFunc("/roots", func(w http.ResponseWriter, r *http.Request) {
		pool, err := x509.SystemCertPool()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "trusted roots: %d\n", len(pool.Subjects())) //nolint:staticcheck // a count is all we need
	})
	log.Printf("listening on :%s", port)
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
