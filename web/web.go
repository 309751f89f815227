// Package web holds the browser assets the binary serves: the GraphiQL
// page's own files (static/), the builds of GraphiQL and React that
// `make assets` copies from npm packages, and the admin dashboard it
// builds from admin/ with Vite (dist/ and dist/admin/, not committed).
package web

import (
	"embed"
	"io/fs"
)

//go:embed static all:dist
var files embed.FS

// Static is the project's own page files.
func Static() fs.FS { sub, _ := fs.Sub(files, "static"); return sub }

// Dist is the built third-party assets.
func Dist() fs.FS { sub, _ := fs.Sub(files, "dist"); return sub }

// HasGraphiQL reports whether the GraphiQL build was embedded.
func HasGraphiQL() bool {
	_, err := fs.Stat(Dist(), "graphiql.min.js")
	return err == nil
}

// Admin is the admin dashboard's build (index.html and assets/), empty
// when `make assets` has not built it.
func Admin() fs.FS { sub, _ := fs.Sub(files, "dist/admin"); return sub }
