package blob

import (
	"crypto/sha256"
	"encoding/binary"
	"testing"
)

// TestIndexFormats reads both index formats: objects written before blobs
// could belong to a subject (the deployment's, without the field) and
// after, whose index has one size whoever's file it holds.
func TestIndexFormats(t *testing.T) {
	ix := index{size: 1 << 40, endOffset: 12345, subject: "0195f0aa-0000-7000-8000-00000000000a"}
	ix.sha256 = sha256.Sum256([]byte("content"))
	ix.endDigest = sha256.Sum256([]byte("end"))
	v2 := ix.encode()
	if len(v2) != indexSizeV2 || len(index{}.encode()) != indexSizeV2 {
		t.Fatalf("index sizes %d and %d, want %d for every subject", len(v2), len(index{}.encode()), indexSizeV2)
	}
	if got, ok := decodeIndex(v2); !ok || got != ix {
		t.Fatalf("v2 reads back %+v, %v", got, ok)
	}
	v1 := append([]byte(indexMagic), ix.sha256[:]...)
	v1 = binary.BigEndian.AppendUint64(v1, uint64(ix.size))
	v1 = binary.BigEndian.AppendUint64(v1, uint64(ix.endOffset))
	v1 = append(v1, ix.endDigest[:]...)
	want := ix
	want.subject = ""
	if got, ok := decodeIndex(v1); !ok || got != want {
		t.Fatalf("v1 reads back %+v, %v", got, ok)
	}
	bad := append([]byte(nil), v2...)
	bad[indexSize] = maxSubject + 1
	if _, ok := decodeIndex(bad); ok {
		t.Error("an index whose subject is longer than its field was read")
	}
	if _, ok := decodeIndex(v2[:len(v2)-1]); ok {
		t.Error("a short index was read")
	}
}
