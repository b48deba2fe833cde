package upload

import (
	"fmt"
	"maps"
	"mime"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	tusd "github.com/tus/tusd/v2/pkg/handler"
)

// Limits on metadata: a file name as file systems allow, and room enough
// for a description in any other value.
const (
	maxFilename   = 255
	maxValue      = 64 << 10
	maxMetaFields = 64
)

// infoFrom reads and checks an upload's metadata. Errors name the metadata
// key at fault.
func infoFrom(fi tusd.FileInfo) (Info, error) {
	meta := maps.Clone(map[string]string(fi.MetaData))
	if meta == nil {
		meta = map[string]string{}
	}
	bad := func(field, format string, args ...any) (Info, error) {
		return Info{}, &Error{Status: http.StatusBadRequest, Field: field, Message: fmt.Sprintf(format, args...)}
	}
	if len(meta) > maxMetaFields {
		return bad("Upload-Metadata", "holds %d values; at most %d are accepted", len(meta), maxMetaFields)
	}
	for k, v := range meta {
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return bad(k, "must be UTF-8 text")
		}
		if len(v) > maxValue {
			return bad(k, "is longer than %d bytes", maxValue)
		}
	}
	info := Info{ID: fi.ID, Size: fi.Size, Metadata: meta}

	info.Filename = meta["filename"]
	switch name := info.Filename; {
	case strings.TrimSpace(name) == "":
		return bad("filename", "is required: the name of the file sent")
	case len(name) > maxFilename:
		return bad("filename", "is longer than %d bytes", maxFilename)
	case name == "." || name == ".." || strings.ContainsAny(name, `/\`):
		return bad("filename", "must be a file's name, without directories")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return bad("filename", "must not hold control characters")
	}

	if t := meta["filetype"]; t != "" {
		if _, _, err := mime.ParseMediaType(t); err != nil {
			return bad("filetype", "must be a media type such as image/jpeg")
		}
		info.MediaType = t
	}

	if sum := meta["sha256"]; sum != "" {
		sum = strings.ToLower(strings.TrimSpace(sum))
		if !isSHA256(sum) {
			return bad("sha256", "must be a SHA-256 digest: 64 hexadecimal digits")
		}
		info.SHA256 = sum
		meta["sha256"] = sum
	}
	return info, nil
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
