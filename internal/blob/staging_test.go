package blob

import (
	"bytes"
	"os"
	"testing"
)

// The staging file's writes must land whole whatever the mode, block size
// or buffer alignment: direct writes of whole aligned blocks, a buffered
// tail, and a fallback when the kernel refuses a direct write.
func TestStagingFileWrites(t *testing.T) {
	aligned := alignedBuffer(3 * directAlignment)
	for i := range aligned {
		aligned[i] = byte(i * 7)
	}
	misaligned := alignedBuffer(2*directAlignment + 1)[1:] // a whole number of blocks at an odd address
	for i := range misaligned {
		misaligned[i] = byte(i * 11)
	}
	tests := []struct {
		name       string
		writes     [][]byte
		wantDirect bool // still writing around the page cache at the end (where supported)
	}{
		{"whole aligned blocks", [][]byte{aligned, aligned}, true},
		{"short tail", [][]byte{aligned, aligned[:100]}, false},
		{"only a tail", [][]byte{aligned[:1]}, false},
		{"misaligned buffer", [][]byte{aligned, misaligned, aligned}, false},
		{"nothing", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sf, err := createStagingFile(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			startedDirect := sf.direct
			var want []byte
			for _, w := range tt.writes {
				n, err := sf.Write(w)
				if err != nil || n != len(w) {
					t.Fatalf("Write(%d bytes) = %d, %v", len(w), n, err)
				}
				want = append(want, w...)
			}
			if err := sf.f.Close(); err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(sf.f.Name())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("file holds %d bytes, want the %d written", len(got), len(want))
			}
			if startedDirect && sf.direct != tt.wantDirect {
				t.Errorf("direct I/O at the end: %v, want %v", sf.direct, tt.wantDirect)
			}
			if !startedDirect {
				t.Logf("direct I/O unavailable for %s; tested buffered writes only", sf.f.Name())
			}
		})
	}
}

func TestAlignedBuffer(t *testing.T) {
	for _, size := range []int{1, directAlignment, copyBufferSize} {
		b := alignedBuffer(size)
		if len(b) != size || cap(b) != size {
			t.Errorf("alignedBuffer(%d): len %d cap %d", size, len(b), cap(b))
		}
		if addr := uintptrOf(b); addr%directAlignment != 0 {
			t.Errorf("alignedBuffer(%d) starts at %#x, not a multiple of %d", size, addr, directAlignment)
		}
	}
}
