package server

import (
	"io/fs"
	"net/http"
	"strings"

	"shop/errcode"
)

// adminCSP is the admin dashboard's policy, stricter than pageCSP: its
// scripts and styles are files of its own (no inline code, no inline
// styles), it talks only to this server, and images may come from https
// hosts (product images) but are never fetched by the shop itself.
const adminCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// adminApp serves the admin dashboard built into fsys (index.html and
// assets/): /admin/assets/* are the content-hashed files, cached for good;
// every other path under /admin is one of the app's own routes and gets
// index.html, which the browser must check again each time. Without a
// build, /admin says how to make one.
func adminApp(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", adminCSP)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			writeError(w, http.StatusMethodNotAllowed, errcode.MethodNotAllowed, "The admin dashboard answers GET requests.")
			return
		}
		rest := strings.TrimPrefix(r.URL.Path, "/admin")
		if name, ok := strings.CutPrefix(rest, "/assets/"); ok {
			// A missing asset is a 404, never the app: a stale page asking
			// for an old hash must not get HTML as its script.
			if name == "" || strings.HasSuffix(name, "/") {
				http.NotFound(w, r)
				return
			}
			if _, err := fs.Stat(fsys, "assets/"+name); err != nil {
				http.NotFound(w, r)
				return
			}
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
			r2 := r.Clone(r.Context())
			r2.URL.Path = "/assets/" + name
			files.ServeHTTP(w, r2)
			return
		}
		page, err := fs.ReadFile(fsys, "index.html")
		if err != nil {
			h.Set("Content-Type", "text/plain; charset=utf-8")
			h.Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("The admin dashboard is not built into this binary: run `make assets`, then build or run the server again.\n"))
			return
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(page)
	})
}
