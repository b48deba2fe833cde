package evidence

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // decoders for thumbnails
	"image/jpeg"
	_ "image/png"
	"io"
	"math"
	"os"
	"os/exec"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/evanoberholster/imagemeta"
	"github.com/gabriel-vasile/mimetype"
	_ "golang.org/x/image/bmp"
	"golang.org/x/image/draw"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"

	"github.com/dossier-org/dossier/internal/blob"
)

// Extracted is what Dossier read from the file itself on ingest: embedded
// capture metadata (EXIF in photographs, container tags in video and
// audio) and the media's shape. It is shown as extracted, apart from what
// people assert, and never trusted blindly: embedded metadata is trivially
// edited, and platforms strip or rewrite it.
type Extracted struct {
	// Tool is what read the file; Error, why reading failed if it did.
	Tool  string `json:"tool"`
	Error string `json:"error,omitempty"`
	// CapturedAt is the embedded capture time: RFC 3339 when the file gives
	// its zone, else the camera's local time without a zone
	// (2023-10-07T06:31:12).
	CapturedAt  string   `json:"captured_at,omitempty"`
	Make        string   `json:"make,omitempty"`
	Model       string   `json:"model,omitempty"`
	Serial      string   `json:"serial,omitempty"`
	Software    string   `json:"software,omitempty"`
	Latitude    *float64 `json:"latitude,omitempty"`
	Longitude   *float64 `json:"longitude,omitempty"`
	Altitude    *float64 `json:"altitude,omitempty"`
	Width       int      `json:"width,omitempty"`
	Height      int      `json:"height,omitempty"`
	Orientation int      `json:"orientation,omitempty"` // EXIF orientation, 1–8
	Duration    float64  `json:"duration_seconds,omitempty"`
	Format      string   `json:"format,omitempty"`
	Streams     []string `json:"streams,omitempty"` // "video h264 1920x1080", "audio aac"
	// Tags are the container's other tags (encoder, creation_time …).
	Tags map[string]string `json:"tags,omitempty"`
	// Withheld: the file identifies a survivor, and what it says of when,
	// where and with what it was made was not kept in the record, where it
	// would stay in clear after the survivor's erasure. It is in the file.
	Withheld bool `json:"withheld,omitempty"`
}

// forSurvivor keeps of what was extracted from a file that identifies a
// survivor only the media's shape: its capture time, position, device and
// tags (which may say where a survivor lives or was interviewed, or whose
// phone recorded them) are not kept in clear.
func (e *Extracted) forSurvivor() *Extracted {
	if e == nil {
		return nil
	}
	out := &Extracted{Tool: e.Tool, Error: e.Error, Width: e.Width, Height: e.Height, Orientation: e.Orientation,
		Duration: e.Duration, Format: e.Format, Streams: e.Streams}
	out.Withheld = e.CapturedAt != "" || e.Make != "" || e.Model != "" || e.Serial != "" || e.Software != "" ||
		e.Latitude != nil || e.Longitude != nil || e.Altitude != nil || len(e.Tags) > 0 || e.Withheld
	return out
}

// sniffLength is how much of the start of a file media type detection
// looks at; it is kept while the file streams into the blob store.
const sniffLength = 3072

// Sniff names the media type of content from its first bytes.
func Sniff(head []byte) string {
	mt := mimetype.Detect(head).String()
	if base, _, ok := strings.Cut(mt, ";"); ok && !strings.HasPrefix(mt, "text/") {
		return base
	}
	return mt
}

// headKeeper keeps the first sniffLength bytes read through it.
type headKeeper struct {
	r    io.Reader
	head []byte
}

func (h *headKeeper) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	if room := sniffLength - len(h.head); room > 0 && n > 0 {
		h.head = append(h.head, p[:min(n, room)]...)
	}
	return n, err
}

// mediaTools are the external programs used for audio and video, when
// installed, and the limits they run under.
type mediaTools struct {
	ffprobe, ffmpeg string
	timeout         time.Duration
	memory          int64 // bytes of address space
	// spoolLimit is the largest file copied out of a remote blob store to
	// probe it; larger ones are not probed.
	spoolLimit int64
}

func findMediaTools() mediaTools {
	t := mediaTools{timeout: 60 * time.Second, memory: 2 << 30, spoolLimit: 4 << 30}
	t.ffprobe, _ = exec.LookPath("ffprobe")
	t.ffmpeg, _ = exec.LookPath("ffmpeg")
	return t
}

// demuxers are the only container formats ffprobe and ffmpeg may read an
// untrusted file as: playlist and concatenation formats (hls, concat)
// would make them open other files or addresses named inside it.
const demuxers = "mov,matroska,webm,avi,mpegts,mpeg,flv,ogg,wav,mp3,flac,aac,asf,amr,caf,aiff,3gp,mp4,m4a"

// run runs an external tool on an untrusted file with a time limit, a cap
// on memory, CPU and written file size, no standard input, only local
// files, a bounded output and an empty environment.
func (t mediaTools) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, t.timeout)
	defer cancel()
	limits := fmt.Sprintf(`ulimit -v %d && ulimit -t %d && ulimit -f %d && exec "$@"`,
		t.memory/1024, int(t.timeout.Seconds())+1, 64<<10 /* KiB: ffmpeg writes only to its output pipe */)
	cmd := exec.CommandContext(ctx, "sh", append([]string{"-c", limits, "sh", name}, args...)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.Dir = os.TempDir()
	var out, stderr bytes.Buffer
	cmd.Stdout = &limitedBuffer{buf: &out, max: 8 << 20}
	cmd.Stderr = &limitedBuffer{buf: &stderr, max: 4 << 10}
	cmd.WaitDelay = 2 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("%s took longer than %s", shortName(name), t.timeout)
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i > 0 {
			msg = msg[:i]
		}
		return nil, fmt.Errorf("%s: %v %s", shortName(name), err, msg)
	}
	return out.Bytes(), nil
}

func shortName(path string) string { return path[strings.LastIndexByte(path, '/')+1:] }

type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// extraction is what ingest derives from a file.
type extraction struct {
	extracted *Extracted
	thumbnail []byte // JPEG, or nil
}

// extractSlots bounds how many files are decoded or probed at once:
// decoding a large picture takes hundreds of megabytes, and a server takes
// many uploads at a time.
var extractSlots = make(chan struct{}, 2)

// extract reads metadata and makes a thumbnail from the stored content.
// Failures are reported in Extracted.Error: the item is kept whatever its
// file holds.
func (t mediaTools) extract(ctx context.Context, blobs blob.Store, ref blob.Ref, mediaType string) extraction {
	major, _, _ := strings.Cut(mediaType, "/")
	if major != "image" && major != "video" && major != "audio" {
		return extraction{}
	}
	select {
	case extractSlots <- struct{}{}:
		defer func() { <-extractSlots }()
	case <-ctx.Done():
		return extraction{extracted: &Extracted{Tool: "dossier", Error: "not extracted: the upload was cancelled"}}
	}
	switch major {
	case "image":
		return extractImage(ctx, blobs, ref)
	case "video", "audio":
		return t.extractMedia(ctx, blobs, ref, major == "video")
	}
	return extraction{}
}

// Images larger than this many pixels get no thumbnail: decoding them
// would take more memory than a server should give one upload.
const maxThumbnailPixels = 50_000_000

const thumbnailSize = 320

func extractImage(ctx context.Context, blobs blob.Store, ref blob.Ref) (ex extraction) {
	ex.extracted = &Extracted{Tool: imagemetaTool()}
	obj, err := blobs.Open(ctx, ref.SHA256)
	if err != nil {
		ex.extracted.Error = "could not open the stored file"
		return ex
	}
	defer obj.Close()
	if err := readEXIF(obj, ex.extracted); err != nil {
		ex.extracted.Error = err.Error()
	}
	if _, err := obj.Seek(0, io.SeekStart); err != nil {
		return ex
	}
	thumb, w, h, err := imageThumbnail(obj, ex.extracted.Orientation)
	if ex.extracted.Width == 0 {
		ex.extracted.Width, ex.extracted.Height = w, h
	}
	if err == nil {
		ex.thumbnail = thumb
	}
	return ex
}

var imagemetaVersion = func() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, m := range info.Deps {
			if m.Path == "github.com/evanoberholster/imagemeta" {
				return m.Version
			}
		}
	}
	return ""
}()

func imagemetaTool() string { return strings.TrimSpace("imagemeta " + imagemetaVersion) }

// readEXIF reads a photograph's embedded metadata. The parser meets files
// made by anyone: a panic in it is a file it cannot read, not a crash.
func readEXIF(r io.ReadSeeker, out *Extracted) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = errors.New("the embedded metadata could not be read (malformed)")
		}
	}()
	e, err := imagemeta.Decode(r)
	if err != nil && e.Make == "" && e.DateTimeOriginal().IsZero() {
		if errors.Is(err, imagemeta.ErrNoExif) || errors.Is(err, imagemeta.ErrMetadataNotSupported) {
			return errors.New("no embedded metadata")
		}
		return errors.New("the embedded metadata could not be read")
	}
	out.Make = clean(e.Make)
	out.Model = clean(e.Model)
	out.Serial = clean(e.CameraSerial)
	out.Software = clean(e.Software)
	out.Width, out.Height = int(e.ImageWidth), int(e.ImageHeight)
	if o := int(e.Orientation); o >= 1 && o <= 8 {
		out.Orientation = o
	}
	for _, t := range []time.Time{e.DateTimeOriginal(), e.CreateDate()} {
		if !t.IsZero() && t.Year() > 1800 {
			out.CapturedAt = embeddedTime(t)
			break
		}
	}
	lat, lon := e.GPS.Latitude(), e.GPS.Longitude()
	if (lat != 0 || lon != 0) && !math.IsNaN(lat) && !math.IsNaN(lon) && math.Abs(lat) <= 90 && math.Abs(lon) <= 180 {
		out.Latitude, out.Longitude = &lat, &lon
		if alt := float64(e.GPS.Altitude()); alt != 0 && !math.IsNaN(alt) {
			alt = math.Round(alt*100) / 100
			out.Altitude = &alt
		}
	}
	tags := map[string]string{}
	for k, v := range map[string]string{"artist": e.Artist, "copyright": e.Copyright, "image_description": e.ImageDescription,
		"lens_model": e.LensModel, "owner_name": e.OwnerName, "image_unique_id": e.ImageUniqueID} {
		if v = clean(v); v != "" {
			tags[k] = v
		}
	}
	if gps := e.GPS.Date(); !gps.IsZero() && gps.Year() > 1800 {
		tags["gps_time"] = gps.UTC().Format(time.RFC3339)
	}
	if len(tags) > 0 {
		out.Tags = tags
	}
	return nil
}

// embeddedTime renders an embedded time: with its zone when the file gives
// one (a time from imagemeta in time.UTC means the zone was absent).
func embeddedTime(t time.Time) string {
	if t.Location() == time.UTC {
		return t.Format("2006-01-02T15:04:05")
	}
	return t.Format(time.RFC3339)
}

// clean keeps a metadata string printable and short.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > 500 {
		s = string(r[:500])
	}
	return s
}

// imageThumbnail decodes a picture and returns a JPEG at most
// thumbnailSize pixels on its longer side, turned upright, and the
// picture's size.
func imageThumbnail(r io.Reader, orientation int) (thumb []byte, width, height int, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = errors.New("the image could not be decoded")
		}
	}()
	br := bufio.NewReaderSize(r, 1<<20)
	head, _ := br.Peek(1 << 20)
	cfg, _, err := image.DecodeConfig(bytes.NewReader(head))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("the image could not be decoded: %w", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxThumbnailPixels {
		return nil, cfg.Width, cfg.Height, errors.New("the image is too large to make a thumbnail of")
	}
	src, _, err := image.Decode(br)
	if err != nil {
		return nil, cfg.Width, cfg.Height, fmt.Errorf("the image could not be decoded: %w", err)
	}
	b := src.Bounds()
	scale := float64(thumbnailSize) / float64(max(b.Dx(), b.Dy()))
	if scale > 1 {
		scale = 1
	}
	w, h := max(1, int(math.Round(float64(b.Dx())*scale))), max(1, int(math.Round(float64(b.Dy())*scale)))
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
	return encodeJPEG(orient(dst, orientation)), cfg.Width, cfg.Height, nil
}

func encodeJPEG(img image.Image) []byte {
	var buf bytes.Buffer
	// Encoding an in-memory RGBA image to a buffer cannot fail.
	_ = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80})
	return buf.Bytes()
}

// orient turns a picture upright according to its EXIF orientation.
func orient(src *image.RGBA, orientation int) image.Image {
	if orientation <= 1 || orientation > 8 {
		return src
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	swap := orientation >= 5
	dw, dh := w, h
	if swap {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := range h {
		for x := range w {
			var dx, dy int
			switch orientation {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			dst.SetRGBA(dx, dy, src.RGBAAt(b.Min.X+x, b.Min.Y+y))
		}
	}
	return dst
}

// extractMedia probes audio or video with ffprobe and, for video, takes a
// poster frame with ffmpeg, when they are installed.
func (t mediaTools) extractMedia(ctx context.Context, blobs blob.Store, ref blob.Ref, video bool) extraction {
	if t.ffprobe == "" {
		return extraction{extracted: &Extracted{Tool: "ffprobe", Error: "ffprobe is not installed on the server; nothing was extracted"}}
	}
	ex := extraction{extracted: &Extracted{Tool: "ffprobe"}}
	path, done, err := t.localCopy(ctx, blobs, ref)
	if err != nil {
		ex.extracted.Error = err.Error()
		return ex
	}
	defer done()
	out, err := t.run(ctx, t.ffprobe, "-v", "error", "-hide_banner", "-protocol_whitelist", "file",
		"-format_whitelist", demuxers, "-print_format", "json", "-show_format", "-show_streams", "-show_program_version",
		"-i", "file:"+path)
	if err != nil {
		ex.extracted.Error = err.Error()
		return ex
	}
	if err := readProbe(out, ex.extracted); err != nil {
		ex.extracted.Error = err.Error()
		return ex
	}
	if video && t.ffmpeg != "" {
		if frame, err := t.posterFrame(ctx, path, ex.extracted.Duration); err == nil {
			ex.thumbnail = frame
		}
	}
	return ex
}

// localCopy gives a path to the content for the external tools: the blob
// store's own file when it keeps one in clear, else a temporary copy
// readable by this user only, removed when done.
func (t mediaTools) localCopy(ctx context.Context, blobs blob.Store, ref blob.Ref) (string, func(), error) {
	obj, err := blobs.Open(ctx, ref.SHA256)
	if err != nil {
		return "", nil, errors.New("could not open the stored file")
	}
	// The store's own file serves only if it holds the content in clear: a
	// store that encrypts at rest keeps other bytes under that name.
	if f, ok := obj.(interface{ Name() string }); ok {
		if info, err := os.Stat(f.Name()); err == nil && info.Mode().IsRegular() && info.Size() == ref.Size && obj.Size() == ref.Size {
			return f.Name(), func() { obj.Close() }, nil
		}
	}
	defer obj.Close()
	if ref.Size > t.spoolLimit {
		return "", nil, fmt.Errorf("the file is larger than %d MiB and held remotely; it was not probed", t.spoolLimit>>20)
	}
	tmp, err := os.CreateTemp("", "dossier-probe-*")
	if err != nil {
		return "", nil, errors.New("could not make a temporary copy to probe")
	}
	remove := func() { tmp.Close(); os.Remove(tmp.Name()) }
	if _, err := io.Copy(tmp, obj); err != nil {
		remove()
		return "", nil, errors.New("could not make a temporary copy to probe")
	}
	return tmp.Name(), remove, nil
}

// probe is the part of ffprobe's JSON output read here.
type probe struct {
	ProgramVersion struct {
		Version string `json:"version"`
	} `json:"program_version"`
	Format struct {
		FormatName string            `json:"format_name"`
		Duration   string            `json:"duration"`
		Tags       map[string]string `json:"tags"`
	} `json:"format"`
	Streams []struct {
		CodecType string            `json:"codec_type"`
		CodecName string            `json:"codec_name"`
		Width     int               `json:"width"`
		Height    int               `json:"height"`
		Tags      map[string]string `json:"tags"`
	} `json:"streams"`
}

var iso6709 = regexp.MustCompile(`^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?`)

func readProbe(out []byte, ex *Extracted) error {
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		return errors.New("ffprobe's output could not be read")
	}
	if v := p.ProgramVersion.Version; v != "" {
		ex.Tool = "ffprobe " + clean(v)
	}
	ex.Format = clean(p.Format.FormatName)
	if d, err := strconv.ParseFloat(p.Format.Duration, 64); err == nil && d > 0 && !math.IsInf(d, 0) {
		ex.Duration = math.Round(d*1000) / 1000
	}
	tags := map[string]string{}
	for k, v := range p.Format.Tags {
		k, v = strings.ToLower(clean(k)), clean(v)
		if k == "" || v == "" || len(tags) >= 50 {
			continue
		}
		switch k {
		case "com.apple.quicktime.make":
			ex.Make = v
		case "com.apple.quicktime.model":
			ex.Model = v
		case "com.apple.quicktime.software":
			ex.Software = v
		case "com.apple.quicktime.creationdate":
			ex.CapturedAt = v
		case "location", "com.apple.quicktime.location.iso6709", "location-eng":
			if m := iso6709.FindStringSubmatch(v); m != nil {
				lat, err1 := strconv.ParseFloat(m[1], 64)
				lon, err2 := strconv.ParseFloat(m[2], 64)
				if err1 == nil && err2 == nil && math.Abs(lat) <= 90 && math.Abs(lon) <= 180 {
					ex.Latitude, ex.Longitude = &lat, &lon
					if alt, err := strconv.ParseFloat(m[3], 64); m[3] != "" && err == nil {
						ex.Altitude = &alt
					}
				}
			}
			tags[k] = v
		default:
			tags[k] = v
		}
	}
	if ex.CapturedAt == "" && tags["creation_time"] != "" {
		ex.CapturedAt = tags["creation_time"]
	}
	if len(tags) > 0 {
		ex.Tags = tags
	}
	for _, s := range p.Streams {
		desc := strings.TrimSpace(clean(s.CodecType) + " " + clean(s.CodecName))
		if s.Width > 0 && s.Height > 0 {
			desc += fmt.Sprintf(" %dx%d", s.Width, s.Height)
			if ex.Width == 0 && s.CodecType == "video" {
				ex.Width, ex.Height = s.Width, s.Height
			}
		}
		if desc != "" && len(ex.Streams) < 20 {
			ex.Streams = append(ex.Streams, desc)
		}
	}
	return nil
}

// posterFrame takes one frame a second in (or the first, for a shorter
// video) as a JPEG thumbnail.
func (t mediaTools) posterFrame(ctx context.Context, path string, duration float64) ([]byte, error) {
	at := "1"
	if duration < 2 {
		at = "0"
	}
	out, err := t.run(ctx, t.ffmpeg, "-nostdin", "-v", "error", "-hide_banner", "-protocol_whitelist", "file,pipe",
		"-format_whitelist", demuxers, "-ss", at, "-i", "file:"+path, "-frames:v", "1", "-threads", "1",
		"-vf", fmt.Sprintf("scale=w='min(%d,iw)':h='min(%d,ih)':force_original_aspect_ratio=decrease", thumbnailSize, thumbnailSize),
		"-f", "image2pipe", "-c:v", "mjpeg", "-q:v", "5", "pipe:1")
	if err != nil {
		return nil, err
	}
	// What ffmpeg wrote must be the picture it was asked for.
	if _, err := jpeg.DecodeConfig(bytes.NewReader(out)); err != nil {
		return nil, errors.New("ffmpeg produced no poster frame")
	}
	return out, nil
}
