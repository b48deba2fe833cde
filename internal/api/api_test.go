package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// spec is the served OpenAPI document, loaded once and validated by
// TestOpenAPIDocument.
var spec = sync.OnceValues(func() (*openapi3.T, error) {
	body, err := openAPIDocument()
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
})

var specRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := spec()
	if err != nil {
		return nil, err
	}
	openapi3filter.RegisterBodyDecoder("application/zip", openapi3filter.FileBodyDecoder)
	return gorillamux.NewRouter(doc)
})

// client calls the API in process and holds every exchange to the OpenAPI
// document: the response must match what the document promises for its
// status, and a request the server accepted must be one the document allows.
type client struct {
	t *testing.T
	a *app.App
	h http.Handler
	// authenticate checks a request's credentials against the document's
	// security schemes; nil accepts any.
	authenticate openapi3filter.AuthenticationFunc
	// headers are sent with every request (credentials), as name, value pairs.
	headers []string
}

func newClient(t *testing.T, d *db.DB) *client {
	t.Helper()
	a := app.New(d)
	return &client{t: t, a: a, h: New(a)}
}

// response is what the API answered.
type response struct {
	status int
	header http.Header
	body   []byte
}

// request is a call to make: a JSON value (marshalled), raw bytes or a
// string as the body, with headers as name, value pairs.
type request struct {
	method, path string
	body         any
	headers      []string
}

func (c *client) get(path string) *response { return c.do(request{method: "GET", path: path}) }

func (c *client) post(path string, body any) *response {
	return c.do(request{method: "POST", path: path, body: body})
}

func (c *client) put(path string, body any, headers ...string) *response {
	return c.do(request{method: "PUT", path: path, body: body, headers: headers})
}

func (c *client) do(rq request) *response {
	c.t.Helper()
	var body []byte
	contentType := ""
	switch b := rq.body.(type) {
	case nil:
	case []byte:
		body = b
	case string:
		body = []byte(b)
	default:
		var err error
		if body, err = json.Marshal(b); err != nil {
			c.t.Fatal(err)
		}
	}
	if rq.body != nil {
		contentType = "application/json"
	}
	newRequest := func() *http.Request {
		var r io.Reader
		if rq.body != nil {
			r = bytes.NewReader(body)
		}
		req := httptest.NewRequest(rq.method, "http://dossier.test"+rq.path, r)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(c.headers); i += 2 {
			req.Header.Add(c.headers[i], c.headers[i+1])
		}
		for i := 0; i+1 < len(rq.headers); i += 2 {
			if rq.headers[i+1] == "" {
				req.Header.Del(rq.headers[i])
			} else {
				req.Header.Set(rq.headers[i], rq.headers[i+1])
			}
		}
		return req
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, newRequest())
	res := &response{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
	c.conform(newRequest(), res)
	return res
}

// conform checks one exchange against the OpenAPI document.
func (c *client) conform(req *http.Request, res *response) {
	c.t.Helper()
	router, err := specRouter()
	if err != nil {
		c.t.Fatalf("OpenAPI document: %v", err)
	}
	if res.status >= 400 && !strings.HasPrefix(res.header.Get("Content-Type"), "application/problem+json") {
		c.t.Errorf("%s %s: %d answered as %q, not application/problem+json", req.Method, req.URL.Path, res.status, res.header.Get("Content-Type"))
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		// Only unknown paths and methods may be missing from the document.
		if res.status != http.StatusNotFound && res.status != http.StatusMethodNotAllowed {
			c.t.Errorf("%s %s answered %d but is not in the OpenAPI document: %v", req.Method, req.URL.Path, res.status, err)
		}
		return
	}
	ctx := context.Background()
	// Handlers tested without access control take no credentials;
	// access_test.go checks the security requirements with real ones.
	authenticate := c.authenticate
	if authenticate == nil {
		authenticate = openapi3filter.NoopAuthenticationFunc
	}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: authenticate}}
	if res.status < 300 {
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			c.t.Errorf("%s %s was accepted (%d) but the OpenAPI document refuses the request: %v", req.Method, req.URL.Path, res.status, err)
		}
	}
	if route.Operation.Responses.Value(strconv.Itoa(res.status)) == nil &&
		res.status != http.StatusMethodNotAllowed && res.status < 500 {
		c.t.Errorf("%s %s answered %d, which the OpenAPI document does not list for the operation", req.Method, req.URL.Path, res.status)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.status, Header: res.header,
		Body: io.NopCloser(bytes.NewReader(res.body)), Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		c.t.Errorf("%s %s: the %d response does not match the OpenAPI document: %v\n%s", req.Method, req.URL.Path, res.status, err, clip(res.body))
	}
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "…"
	}
	return string(b)
}

// expect fails the test unless the response has the status.
func (r *response) expect(t *testing.T, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, clip(r.body))
	}
	return r
}

// decode reads the response body into v.
func (r *response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", clip(r.body), err)
	}
}

// problemOf reads a problem response.
func (r *response) problem(t *testing.T) problem {
	t.Helper()
	var p problem
	r.decode(t, &p)
	if p.Status != r.status {
		t.Errorf("problem status %d in a %d response", p.Status, r.status)
	}
	if p.Type == "" || p.Title == "" {
		t.Errorf("problem without type or title: %s", r.body)
	}
	return p
}

// fieldCodes lists a problem's errors as "field:code".
func fieldCodes(p problem) []string {
	out := make([]string, len(p.Errors))
	for i, e := range p.Errors {
		out[i] = e.Field + ":" + e.Code
	}
	return out
}

// object decodes the body into a generic map.
func (r *response) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	r.decode(t, &m)
	return m
}
