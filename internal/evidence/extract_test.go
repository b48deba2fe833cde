package evidence

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dossier-org/dossier/internal/blob/blobtest"
)

// tiffEntry is one IFD entry of a hand-built EXIF block.
type tiffEntry struct {
	tag, typ uint16
	count    uint32
	data     []byte
}

func ascii(tag uint16, s string) tiffEntry {
	return tiffEntry{tag, 2, uint32(len(s) + 1), append([]byte(s), 0)}
}

func short(tag uint16, v uint16) tiffEntry {
	return tiffEntry{tag, 3, 1, binary.LittleEndian.AppendUint16(nil, v)}
}

func rationals(tag uint16, pairs ...uint32) tiffEntry {
	var b []byte
	for _, p := range pairs {
		b = binary.LittleEndian.AppendUint32(b, p)
	}
	return tiffEntry{tag, 5, uint32(len(pairs) / 2), b}
}

// buildEXIF lays out IFD0 with its Exif and GPS sub-IFDs as a little-endian
// TIFF block, as cameras write them into a JPEG's APP1 segment.
func buildEXIF(ifd0, exif, gps []tiffEntry) []byte {
	ifdSize := func(n int) int { return 2 + 12*n + 4 }
	ifd0 = append(ifd0, tiffEntry{0x8769, 4, 1, nil}, tiffEntry{0x8825, 4, 1, nil})
	exifAt := 8 + ifdSize(len(ifd0))
	gpsAt := exifAt + ifdSize(len(exif))
	dataAt := gpsAt + ifdSize(len(gps))
	var data []byte
	out := []byte("II*\x00\x08\x00\x00\x00")
	write := func(entries []tiffEntry) {
		out = binary.LittleEndian.AppendUint16(out, uint16(len(entries)))
		for _, e := range entries {
			switch e.tag {
			case 0x8769:
				e.data = binary.LittleEndian.AppendUint32(nil, uint32(exifAt))
			case 0x8825:
				e.data = binary.LittleEndian.AppendUint32(nil, uint32(gpsAt))
			}
			out = binary.LittleEndian.AppendUint16(out, e.tag)
			out = binary.LittleEndian.AppendUint16(out, e.typ)
			out = binary.LittleEndian.AppendUint32(out, e.count)
			if len(e.data) <= 4 {
				out = append(out, append(e.data, make([]byte, 4-len(e.data))...)...)
			} else {
				out = binary.LittleEndian.AppendUint32(out, uint32(dataAt+len(data)))
				data = append(data, e.data...)
				if len(data)%2 == 1 {
					data = append(data, 0)
				}
			}
		}
		out = append(out, 0, 0, 0, 0)
	}
	write(ifd0)
	write(exif)
	write(gps)
	return append(out, data...)
}

// photo returns a JPEG of w×h pixels (left half red, right half blue) with
// EXIF naming a camera, an orientation, a capture time with its zone and a
// GPS position.
func photo(t testing.TB, w, h int, orientation uint16) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{R: 255, A: 255}
			if x >= w/2 {
				c = color.RGBA{B: 255, A: 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	tiff := buildEXIF(
		[]tiffEntry{ascii(0x010f, "Canon"), ascii(0x0110, "Canon EOS 5D Mark IV"), short(0x0112, orientation), ascii(0x0131, "Firmware 1.0.4")},
		[]tiffEntry{ascii(0x9003, "2023:10:07 06:31:12"), ascii(0x9011, "+03:00")},
		[]tiffEntry{ascii(0x0001, "N"), rationals(0x0002, 31, 1, 25, 1, 0, 1), ascii(0x0003, "E"), rationals(0x0004, 34, 1, 30, 1, 0, 1)},
	)
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	segment := append([]byte{0xff, 0xe1}, binary.BigEndian.AppendUint16(nil, uint16(len(app1)+2))...)
	segment = append(segment, app1...)
	jpg := buf.Bytes()
	return append(append(append([]byte{}, jpg[:2]...), segment...), jpg[2:]...)
}

func TestReadEXIF(t *testing.T) {
	var ex Extracted
	if err := readEXIF(bytes.NewReader(photo(t, 40, 20, 6)), &ex); err != nil {
		t.Fatal(err)
	}
	if ex.Make != "Canon" || ex.Model != "Canon EOS 5D Mark IV" || ex.Software != "Firmware 1.0.4" || ex.Orientation != 6 {
		t.Errorf("camera: %+v", ex)
	}
	if ex.CapturedAt != "2023-10-07T06:31:12+03:00" {
		t.Errorf("captured at %q, want the local time with its zone", ex.CapturedAt)
	}
	if ex.Latitude == nil || ex.Longitude == nil || *ex.Latitude < 31.41 || *ex.Latitude > 31.42 || *ex.Longitude != 34.5 {
		t.Errorf("position %v, %v", ex.Latitude, ex.Longitude)
	}
}

func TestReadEXIFMalformed(t *testing.T) {
	good := photo(t, 8, 8, 1)
	for name, data := range map[string][]byte{
		"no exif":   encode(t, image.NewRGBA(image.Rect(0, 0, 4, 4))),
		"truncated": good[:60],
		"garbage":   append([]byte{0xff, 0xd8, 0xff, 0xe1, 0x00, 0x10}, []byte("Exif\x00\x00II*\x00\xff\xff\xff\x7f")...),
		"empty":     nil,
	} {
		t.Run(name, func(t *testing.T) {
			var ex Extracted
			if err := readEXIF(bytes.NewReader(data), &ex); err == nil && ex.Make != "" {
				t.Errorf("read %+v from a file without valid metadata", ex)
			}
		})
	}
}

func encode(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImageThumbnail(t *testing.T) {
	for _, tc := range []struct {
		name          string
		w, h          int
		orientation   int
		wantW, wantH  int
		redLeftOrHigh bool // where the red half ends up: left (unturned) or top (turned)
	}{
		{"small stays its size", 40, 20, 1, 40, 20, true},
		{"large scaled down", 1280, 640, 1, 320, 160, true},
		{"rotated upright", 40, 20, 6, 20, 40, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			thumb, w, h, err := imageThumbnail(bytes.NewReader(photo(t, tc.w, tc.h, uint16(tc.orientation))), tc.orientation)
			if err != nil {
				t.Fatal(err)
			}
			if w != tc.w || h != tc.h {
				t.Errorf("size %dx%d, want %dx%d", w, h, tc.w, tc.h)
			}
			img, err := jpeg.Decode(bytes.NewReader(thumb))
			if err != nil {
				t.Fatalf("the thumbnail is not a JPEG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != tc.wantW || b.Dy() != tc.wantH {
				t.Errorf("thumbnail %dx%d, want %dx%d", b.Dx(), b.Dy(), tc.wantW, tc.wantH)
			}
			// Orientation 6 means the camera was turned clockwise: the
			// picture's left (red) half is the top once upright.
			r, _, b, _ := img.At(1, 1).RGBA()
			if r < b {
				t.Errorf("the corner at 1,1 is blue; the picture is not turned upright")
			}
		})
	}
	if _, _, _, err := imageThumbnail(strings.NewReader("not a picture"), 1); err == nil {
		t.Error("a thumbnail of text")
	}
}

func TestSniff(t *testing.T) {
	for _, tc := range []struct {
		data []byte
		want string
	}{
		{photo(t, 4, 4, 1), "image/jpeg"},
		{[]byte("%PDF-1.7\n%âãÏÓ\n"), "application/pdf"},
		{[]byte("<!DOCTYPE html><html><body>x</body></html>"), "text/html; charset=utf-8"},
		{[]byte{0, 1, 2, 3, 4, 5}, "application/octet-stream"},
	} {
		if got := Sniff(tc.data); got != tc.want {
			t.Errorf("Sniff(%.10q) = %q, want %q", tc.data, got, tc.want)
		}
	}
}

func TestToolTimeLimit(t *testing.T) {
	tools := mediaTools{timeout: 300 * time.Millisecond, memory: 1 << 30}
	start := time.Now()
	_, err := tools.run(context.Background(), "/bin/sleep", "5")
	if err == nil || !strings.Contains(err.Error(), "took longer") {
		t.Errorf("err = %v, want a time-out", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("the tool ran %s despite its limit", d)
	}
}

// requireFFmpeg skips, loudly, when ffmpeg is not installed; in CI it fails.
func requireFFmpeg(t *testing.T) mediaTools {
	t.Helper()
	tools := findMediaTools()
	if tools.ffprobe == "" || tools.ffmpeg == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("ffmpeg and ffprobe are required in CI (Debian package ffmpeg)")
		}
		t.Skip("SKIPPING: ffmpeg/ffprobe not installed (apt-get install ffmpeg)")
	}
	return tools
}

// video makes a two-second test video carrying a position and a creation time.
func video(t *testing.T, tools mediaTools) []byte {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.mp4")
	out, err := exec.Command(tools.ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc=duration=2:size=160x120:rate=10",
		"-metadata", "creation_time=2023-10-07T03:31:12Z", "-metadata", "location=+31.4167+034.5000/",
		"-c:v", "mpeg4", "-y", path).CombinedOutput()
	if err != nil {
		t.Fatalf("make a test video: %v: %s", err, out)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestProbeHostileFiles(t *testing.T) {
	tools := requireFFmpeg(t)
	dir := t.TempDir()
	// A playlist naming a local file: a demuxer that follows it would read
	// files the uploader has no business reading.
	secret := filepath.Join(dir, "secret.txt")
	os.WriteFile(secret, []byte("not for the uploader"), 0o600)
	playlist := filepath.Join(dir, "evil.mp4")
	os.WriteFile(playlist, []byte("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:"+secret+"\n#EXT-X-ENDLIST\n"), 0o600)
	_, err := tools.run(context.Background(), tools.ffprobe, "-v", "error", "-protocol_whitelist", "file",
		"-format_whitelist", demuxers, "-show_format", "-i", "file:"+playlist)
	if err == nil || !strings.Contains(err.Error(), "not on whitelist") {
		t.Errorf("ffprobe on an HLS playlist: %v, want it refused by the format whitelist", err)
	}
}

func TestExtractVideo(t *testing.T) {
	tools := requireFFmpeg(t)
	ctx := context.Background()
	blobs := blobtest.Local(t)
	clip := video(t, tools)
	ref, _, err := blobs.Put(ctx, bytes.NewReader(clip), "")
	if err != nil {
		t.Fatal(err)
	}
	if mt := Sniff(clip); mt != "video/mp4" {
		t.Fatalf("sniffed %q", mt)
	}
	ex := tools.extract(ctx, blobs, ref, "video/mp4")
	e := ex.extracted
	if e == nil || e.Error != "" {
		t.Fatalf("extracted %+v", e)
	}
	if !strings.HasPrefix(e.Tool, "ffprobe 5") && !strings.HasPrefix(e.Tool, "ffprobe ") {
		t.Errorf("tool %q", e.Tool)
	}
	if e.Duration < 1.9 || e.Duration > 2.1 || e.Width != 160 || e.Height != 120 || len(e.Streams) != 1 ||
		!strings.HasPrefix(e.Streams[0], "video mpeg4 160x120") || !strings.Contains(e.Format, "mp4") {
		t.Errorf("shape %+v", e)
	}
	if !strings.HasPrefix(e.CapturedAt, "2023-10-07T03:31:12") {
		t.Errorf("captured at %q", e.CapturedAt)
	}
	if e.Latitude == nil || *e.Latitude != 31.4167 || *e.Longitude != 34.5 {
		t.Errorf("position %v %v (tags %v)", e.Latitude, e.Longitude, e.Tags)
	}
	img, err := jpeg.Decode(bytes.NewReader(ex.thumbnail))
	if err != nil || img.Bounds().Dx() != 160 {
		t.Errorf("poster frame: %v", err)
	}

	// A file that only claims to be a video yields an error, not a crash.
	bogus, _, _ := blobs.Put(ctx, strings.NewReader("\x00\x00\x00\x18ftypmp42 but nothing else"), "")
	if ex := tools.extract(ctx, blobs, bogus, "video/mp4"); ex.extracted == nil || ex.extracted.Error == "" || ex.thumbnail != nil {
		t.Errorf("bogus video: %+v", ex)
	}
	// Without ffprobe the item says nothing was extracted, and why.
	none := mediaTools{}
	if ex := none.extract(ctx, blobs, ref, "video/mp4"); ex.extracted == nil || !strings.Contains(ex.extracted.Error, "not installed") {
		t.Errorf("without ffprobe: %+v", ex.extracted)
	}
}

// TestForSurvivor: of a survivor's file, only the media's shape is kept;
// when and where it was made, and with what, is dropped and said to be.
func TestForSurvivor(t *testing.T) {
	var ex Extracted
	if err := readEXIF(bytes.NewReader(photo(t, 40, 20, 6)), &ex); err != nil {
		t.Fatal(err)
	}
	ex.Width, ex.Height = 40, 20
	kept := ex.forSurvivor()
	if kept.Make != "" || kept.Model != "" || kept.Software != "" || kept.CapturedAt != "" || kept.Latitude != nil ||
		kept.Longitude != nil || kept.Tags != nil || !kept.Withheld {
		t.Errorf("identifying metadata kept: %+v", kept)
	}
	if kept.Width != 40 || kept.Height != 20 || kept.Orientation != 6 || kept.Tool != ex.Tool {
		t.Errorf("the media's shape lost: %+v", kept)
	}
	if shape := (&Extracted{Tool: "ffprobe", Duration: 12.5, Format: "mp4"}).forSurvivor(); shape.Withheld || shape.Duration != 12.5 {
		t.Errorf("nothing to withhold, yet: %+v", shape)
	}
	if (*Extracted)(nil).forSurvivor() != nil {
		t.Error("nothing extracted became something")
	}
}
