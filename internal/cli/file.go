package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/dossier-org/dossier/internal/record"
)

// readJSONFile reads one record from path ("-" for standard input) into v.
// Unknown fields are refused: a misspelt field would otherwise be dropped
// without a word, and the data in it lost.
func (c *cli) readJSONFile(path string, v any) error {
	var data []byte
	var err error
	if path == "-" {
		data, err = io.ReadAll(c.stdin)
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return fmt.Errorf("read --file: %w", err)
	}
	return decodeJSON(path, data, v)
}

func decodeJSON(name string, data []byte, v any) error {
	if name == "-" {
		name = "standard input"
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value; give one record")
	}
	if err == nil {
		return nil
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		// Offset counts the bytes read, the offending one included.
		line, col := position(data, max(syntax.Offset-1, 0))
		err = fmt.Errorf("line %d, column %d: %s", line, col, syntax.Error())
	case errors.As(err, &typ) && typ.Field != "":
		err = record.Errors{{Field: typ.Field, Code: "invalid_type", Message: fmt.Sprintf("must be a JSON %s, not %s", typ.Type, typ.Value)}}
		return &exitError{code: ExitInvalid, err: &invalidError{what: name, errs: err.(record.Errors)}}
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = errors.New("the JSON ends too early: a {, [ or \" is not closed")
	case errors.Is(err, io.EOF):
		err = errors.New("empty; give one JSON record")
	}
	return &exitError{code: ExitInvalid, err: fmt.Errorf("%s: %w", name, err)}
}

// position gives the line and column, counted from 1, of the byte at offset.
func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	before := data[:offset]
	line = bytes.Count(before, []byte("\n")) + 1
	col = int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}
