// Package greeting is the library half of go-cmd; the server lives in cmd/server.
package greeting

import "fmt"

// For returns the greeting served for a visitor name.
func For(name string) string {
	return fmt.Sprintf("Hello, %s, from go-cmd!", name)
}
