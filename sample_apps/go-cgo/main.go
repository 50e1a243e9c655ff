package main

/*
#include <stdio.h>
#include <stdlib.h>

// Formats in C, so the binary really links against libc.
static char *greeting(int n) {
	char *out = malloc(64);
	snprintf(out, 64, "go-cgo: C says %d", n * 6);
	return out;
}
*/
import "C"

import (
	"fmt"
	"log"
	"net/http"
	"os"
	"unsafe"
)

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		text := C.greeting(7)
		defer C.free(unsafe.Pointer(text))
		fmt.Fprintln(w, C.GoString(text))
	})
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
