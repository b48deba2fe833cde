package upload

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strconv"

	tusd "github.com/tus/tusd/v2/pkg/handler"
)

// store is tusd's file store, with two twists in reading an upload back
// (which tusd does under the upload's lock, for HEAD, PATCH and DELETE):
//
//   - a finished upload answers as complete, with its location, so a client
//     that lost the final response learns the outcome when it resumes
//     instead of sending the file again;
//   - an upload whose bytes all arrived but that was never finished (the
//     server stopped during Finish, or Finish failed inside) is finished
//     there and then.
type store struct{ h *Handler }

func (s store) NewUpload(ctx context.Context, info tusd.FileInfo) (tusd.Upload, error) {
	return s.h.files.NewUpload(ctx, info)
}

func (s store) GetUpload(ctx context.Context, id string) (tusd.Upload, error) {
	if f, ok := s.h.finishedUpload(id); ok {
		return nil, f.response()
	}
	up, err := s.h.files.GetUpload(ctx, id)
	if err != nil {
		return nil, err
	}
	fi, err := up.GetInfo(ctx)
	if err != nil {
		return nil, err
	}
	if !fi.SizeIsDeferred && fi.Offset >= fi.Size {
		loc, err := s.h.finish(ctx, fi)
		if err != nil {
			return nil, err
		}
		return nil, finished{Location: loc, Size: fi.Size}.response()
	}
	return up, nil
}

func (s store) AsTerminatableUpload(up tusd.Upload) tusd.TerminatableUpload {
	return s.h.files.AsTerminatableUpload(up)
}

// finished is what is remembered of a finished upload, in ID.done.
type finished struct {
	Location string `json:"location"`
	Size     int64  `json:"size"`
}

// response answers any request for a finished upload: complete, and where
// it went. tusd sends an error's response as it is, so a 200 can travel as
// one.
func (f finished) response() tusd.Error {
	size := strconv.FormatInt(f.Size, 10)
	return tusd.Error{ErrorCode: "UPLOAD_FINISHED", Message: "the upload is complete", HTTPResponse: tusd.HTTPResponse{
		StatusCode: http.StatusOK,
		Header: tusd.HTTPHeader{
			"Upload-Offset": size,
			"Upload-Length": size,
			"Cache-Control": "no-store",
			LocationHeader:  f.Location,
		},
	}}
}

func (h *Handler) remember(id string, f finished) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	tmp := h.donePath(id) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, h.donePath(id))
}

func (h *Handler) finishedUpload(id string) (finished, bool) {
	b, err := os.ReadFile(h.donePath(id))
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			h.log.Warn("upload: could not read a finished upload's note", "upload", id, "err", err)
		}
		return finished{}, false
	}
	var f finished
	if err := json.Unmarshal(b, &f); err != nil {
		h.log.Warn("upload: unreadable note of a finished upload", "upload", id, "err", err)
		return finished{}, false
	}
	return f, true
}
