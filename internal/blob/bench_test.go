package blob_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	"github.com/dossier-org/dossier/internal/blob"
	"github.com/dossier-org/dossier/internal/blob/blobtest"
)

// BenchmarkPut stores 64 MiB of new content per iteration: hashing,
// encrypting (sealed stores; -plain: in clear), writing, syncing and
// publishing. Each iteration's content differs in its
// first bytes, so none is deduplicated; each blob is deleted untimed.
//
//	go test -run '^$' -bench Put -benchtime 20x ./internal/blob/
func BenchmarkPut(b *testing.B) {
	stores := []struct {
		name string
		open func(testing.TB) blob.Store
	}{
		{"local", blobtest.Local},
		{"local-plain", blobtest.PlainLocal},
		{"s3", blobtest.S3},
		{"s3-plain", blobtest.PlainS3},
	}
	content := randomBytes(8, 64<<20)
	for _, st := range stores {
		b.Run(st.name, func(b *testing.B) {
			s := st.open(b)
			ctx := context.Background()
			b.SetBytes(int64(len(content)))
			var i uint64
			for b.Loop() {
				i++
				binary.LittleEndian.PutUint64(content, i)
				ref, existed, err := s.Put(ctx, bytes.NewReader(content), "")
				if err != nil || existed {
					b.Fatalf("Put: existed %v, %v", existed, err)
				}
				b.StopTimer()
				if err := s.Delete(ctx, ref.SHA256); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
