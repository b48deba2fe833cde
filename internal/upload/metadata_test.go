package upload

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	tusd "github.com/tus/tusd/v2/pkg/handler"
)

// FuzzMetadata feeds arbitrary Upload-Metadata headers through tusd's parser
// and ours: every header is either refused with an error naming a field, or
// read into an Info whose file name and hash are safe to use.
func FuzzMetadata(f *testing.F) {
	f.Add("filename bWFya2V0LmpwZw==,filetype aW1hZ2UvanBlZw==")
	f.Add("filename Li4vYQ==,sha256 QUJD")
	f.Add("filename YS5qcGc=,sha256 " + "ZTNiMGM0NDI5OGZjMWMxNDlhZmJmNGM4OTk2ZmI5MjQyN2FlNDFlNDY0OWI5MzRjYTQ5NTk5MWI3ODUyYjg1NQ==")
	f.Add("filename,incident MDE5MGU1YzI=")
	f.Add("")
	f.Fuzz(func(t *testing.T, header string) {
		fi := tusd.FileInfo{ID: "0123456789abcdef0123456789abcdef", Size: 10, MetaData: tusd.ParseMetadataHeader(header)}
		info, err := infoFrom(fi)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Field == "" || e.Status != 400 {
				t.Fatalf("refusal %v does not name a field with status 400", err)
			}
			return
		}
		name := info.Filename
		if strings.TrimSpace(name) == "" || strings.ContainsAny(name, "/\\\x00") || name == ".." || !utf8.ValidString(name) {
			t.Fatalf("accepted file name %q", name)
		}
		if info.SHA256 != "" && (len(info.SHA256) != 64 || strings.Trim(info.SHA256, "0123456789abcdef") != "") {
			t.Fatalf("accepted hash %q", info.SHA256)
		}
		if info.Metadata["sha256"] != info.SHA256 {
			t.Fatalf("metadata hash %q differs from %q", info.Metadata["sha256"], info.SHA256)
		}
	})
}
