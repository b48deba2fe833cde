package cli

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestProgress(t *testing.T) {
	var out bytes.Buffer
	p := newProgress(&out, "interview-with-a-long-name-recorded.m4a", 4<<20)
	if _, err := io.Copy(io.Discard, p.reader(bytes.NewReader(make([]byte, 1<<20)))); err != nil {
		t.Fatal(err)
	}
	line := p.line()
	if !strings.HasPrefix(line, "interview-with-a-long-name-re… [======>                 ]  25% 1.0 MiB of 4.0 MiB") {
		t.Errorf("line %q", line)
	}
	p.n = 4 << 20
	p.done(true)
	last := out.String()[strings.LastIndexByte(out.String(), '\r')+1:]
	if !strings.Contains(last, "[========================] 100% 4.0 MiB of 4.0 MiB") || !strings.HasSuffix(last, " stored\n") {
		t.Errorf("last line %q", last)
	}
	if !strings.HasPrefix(out.String(), "\r") {
		t.Errorf("the bar is not redrawn in place: %q", out.String())
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{1: "1 byte", 1023: "1023 bytes", 1024: "1.0 KiB", 5 << 30: "5.0 GiB", 1536 << 20: "1.5 GiB"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}
