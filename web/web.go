// Package web holds the browser assets the binary serves: the GraphiQL
// page's own files (static/), the builds of GraphiQL and React that
// `make assets` copies from npm packages, and the admin dashboard it
// builds from admin/ with Vite (dist/ and dist/admin/, not committed).
package web

import (
	"embed"
	"io/fs"
	"strings"
)

//go:embed static all:dist
var files embed.FS

// Static is the project's own page files.
func Static() fs.FS { sub, _ := fs.Sub(files, "static"); return sub }

// Dist is the built third-party assets: the files at dist/'s top level
// only. The dashboard's build below it is served at /admin under its own,
// stricter headers, and a folder is never listed.
func Dist() fs.FS { sub, _ := fs.Sub(files, "dist"); return topFiles{sub} }

type topFiles struct{ fs.FS }

func (t topFiles) Open(name string) (fs.File, error) {
	if name == "." || strings.Contains(name, "/") {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	f, err := t.FS.Open(name)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err != nil || st.IsDir() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return f, nil
}

// HasGraphiQL reports whether the GraphiQL build was embedded.
func HasGraphiQL() bool {
	_, err := fs.Stat(Dist(), "graphiql.min.js")
	return err == nil
}

// Admin is the admin dashboard's build (index.html and assets/), empty
// when `make assets` has not built it.
func Admin() fs.FS { sub, _ := fs.Sub(files, "dist/admin"); return sub }
