package upload

import (
	"errors"
	"net/http"
	"strings"

	tusd "github.com/tus/tusd/v2/pkg/handler"

	"github.com/dossier-org/dossier/internal/record"
)

// Error refuses an upload for a reason the client should read. Finish and
// Check return it (or wrap it) to choose the status and the message.
type Error struct {
	Status  int    // an HTTP status; 422 if zero
	Field   string // what the refusal is about: a metadata key or header, if any
	Message string // for the client; it must not quote record contents
}

func (e *Error) Error() string {
	if e.Field == "" {
		return e.Message
	}
	return e.Field + ": " + e.Message
}

// StatusChecksumMismatch is the tus checksum extension's status for a file
// that does not hash to what the client said.
const StatusChecksumMismatch = 460

// ErrChecksumMismatch is the error Finish wraps when the complete file does
// not hash to Info.SHA256. Nothing of such an upload is kept.
var ErrChecksumMismatch = errors.New("the file received does not match the SHA-256 given in its metadata")

// refusal turns an error from Finish or Check, or from reading metadata,
// into the response the client gets. Internal errors are logged by their
// message (which names no record contents) and answered without detail.
func (h *Handler) refusal(err error) tusd.Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		status := e.Status
		if status == 0 {
			status = http.StatusUnprocessableEntity
		}
		code := "ERR_UPLOAD_REFUSED"
		switch {
		case status == StatusChecksumMismatch:
			code = "ERR_CHECKSUM_MISMATCH"
		case e.Field != "":
			code = "ERR_INVALID_METADATA"
		}
		return tusd.NewError(code, e.Error(), status)
	case errors.Is(err, ErrChecksumMismatch):
		return tusd.NewError("ERR_CHECKSUM_MISMATCH", ErrChecksumMismatch.Error()+"; nothing was kept", StatusChecksumMismatch)
	}
	if errs, ok := record.AsErrors(err); ok {
		var msgs []string
		for _, fe := range errs {
			msgs = append(msgs, fe.Error())
		}
		return tusd.NewError("ERR_INVALID_METADATA", strings.Join(msgs, "; "), http.StatusUnprocessableEntity)
	}
	h.log.Error("upload: could not finish an upload", "err", err)
	return tusd.NewError("ERR_INTERNAL_SERVER_ERROR",
		"the upload could not be stored; its bytes are kept and storing it is tried again when the client resumes", http.StatusInternalServerError)
}
