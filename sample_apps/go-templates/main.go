// Reads its templates and static files at run time, relative to the working directory, as
// Heroku's getting-started app does with LoadHTMLGlob("templates/*").
package main

import (
	"html/template"
	"log"
	"net/http"
	"os"
)

func main() {
	pages := template.Must(template.ParseGlob("templates/*"))
	http.Handle("/static/", http.StripPrefix("/static/", http.FileServer(http.Dir("static"))))
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if err := pages.ExecuteTemplate(w, "index.tmpl", map[string]string{"Name": "go-templates"}); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	})
	http.HandleFunc("/drafts", func(w http.ResponseWriter, r *http.Request) {
		if _, err := os.Stat("drafts/secret-plan.txt"); err == nil {
			w.Write([]byte("drafts shipped"))
			return
		}
		w.Write([]byte("no drafts"))
	})
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	log.Fatal(http.ListenAndServe(":"+port, nil))
}
