package cli

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws a progress bar for a file being stored, on a terminal:
// redrawn in place at most every tenth of a second.
type progress struct {
	w          io.Writer
	name       string
	total, n   int64
	start, at  time.Time
	lastLength int
}

func newProgress(w io.Writer, name string, total int64) *progress {
	now := time.Now()
	return &progress{w: w, name: truncate(name, 30), total: total, start: now}
}

func (p *progress) reader(r io.Reader) io.Reader { return &progressReader{r: r, p: p} }

type progressReader struct {
	r io.Reader
	p *progress
}

func (pr *progressReader) Read(b []byte) (int, error) {
	n, err := pr.r.Read(b)
	pr.p.add(int64(n))
	return n, err
}

func (p *progress) add(n int64) {
	p.n += n
	if now := time.Now(); now.Sub(p.at) >= 100*time.Millisecond || p.n == p.total {
		p.at = now
		p.draw("")
	}
}

// line renders the bar: "photo.jpg [=====>      ] 45% 1.2 GiB of 2.6 GiB 310.0 MiB/s".
func (p *progress) line() string {
	const width = 24
	frac := 1.0
	if p.total > 0 {
		frac = min(1, float64(p.n)/float64(p.total))
	}
	filled := int(frac * width)
	bar := strings.Repeat("=", filled)
	if filled < width {
		bar += ">" + strings.Repeat(" ", width-filled-1)
	}
	rate := ""
	if secs := time.Since(p.start).Seconds(); secs > 0.2 {
		rate = " " + formatSize(int64(float64(p.n)/secs)) + "/s"
	}
	return fmt.Sprintf("%s [%s] %3.0f%% %s of %s%s", p.name, bar, frac*100, formatSize(p.n), formatSize(p.total), rate)
}

func (p *progress) draw(suffix string) {
	s := p.line() + suffix
	pad := max(0, p.lastLength-len(s))
	p.lastLength = len(s)
	fmt.Fprint(p.w, "\r"+s+strings.Repeat(" ", pad))
}

// done ends the bar's line, saying whether the file was stored.
func (p *progress) done(ok bool) {
	if ok {
		p.draw(" stored")
	} else {
		p.draw(" not stored")
	}
	fmt.Fprintln(p.w)
}
