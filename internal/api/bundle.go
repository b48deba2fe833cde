package api

import (
	"archive/zip"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/bundle"
	"github.com/dossier-org/dossier/internal/db"
)

// incidentBundle answers GET /incidents/{id}/bundle with the incident's
// court bundle as a zip: written to a temporary directory first (the export
// is recorded in each file's custody and in the log), then streamed.
func incidentBundle(a *app.App) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := newQuery(r, "purpose")
		purpose := q.text("purpose", 2000)
		if err := q.err(); err != nil {
			return err
		}
		id := r.PathValue("id")
		if _, err := a.Incidents.Get(r.Context(), id); errors.Is(err, db.ErrNotFound) {
			return notFound("incident")
		} else if err != nil {
			return err
		}
		tmp, err := os.MkdirTemp("", "dossier-bundle-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir := filepath.Join(tmp, "bundle-"+id)
		if _, err := bundle.Write(r.Context(), a, id, dir, bundle.Options{Purpose: purpose}); err != nil {
			return err
		}
		w.Header().Set("Content-Type", "application/zip")
		w.Header().Set("Content-Disposition", `attachment; filename="bundle-`+id+`.zip"`)
		zw := zip.NewWriter(w)
		err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, err := filepath.Rel(tmp, p)
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			hdr, err := zip.FileInfoHeader(info)
			if err != nil {
				return err
			}
			hdr.Name, hdr.Method = filepath.ToSlash(rel), zip.Deflate
			fw, err := zw.CreateHeader(hdr)
			if err != nil {
				return err
			}
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = io.Copy(fw, f)
			return err
		})
		if err != nil {
			// Headers are sent: all that is left is to cut the zip short,
			// which a client sees as a damaged file.
			return nil
		}
		return zw.Close()
	}
}

// bundlePaths documents the bundle route.
func bundlePaths(paths obj) {
	paths["/incidents/{id}/bundle"] = obj{
		"parameters": []any{pathID("incident")},
		"get": obj{"operationId": "getIncidentBundle", "tags": []string{"incidents"},
			"summary": "The incident's court bundle, as a zip.",
			"description": "Evidence files, their records and chain of custody, the audit log entries about them with " +
				"inclusion proofs, and a signed checkpoint; README.md inside explains how to check it with sha256sum, " +
				"openssl and a shell. Each file's export is recorded in its chain of custody.",
			"parameters": []any{queryParam("purpose", "Why the files are exported, for their chain of custody.",
				obj{"type": "string", "maxLength": 2000})},
			"responses": responses(obj{"200": obj{"description": "The bundle.",
				"headers": obj{"Content-Disposition": header("attachment; filename=…", true)},
				"content": obj{"application/zip": obj{"schema": obj{"type": "string", "format": "binary"}}}}}, 400, 404)}}
}
