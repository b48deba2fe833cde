package blob

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// SealLegacy converts the blobs kept in clear, by a store made before
// encryption at rest, into sealed objects, in place and while the store is
// in use: each is read, re-hashed against its name as it is sealed, and its
// clear copy deleted only once the sealed one is published. Interrupted, it
// can be run again: a blob found sealed already just loses its clear copy.
// A clear copy that no longer matches its hash is left where it is and
// reported; the others are converted. progress, if set, is called after
// each blob.
func (s *SealedStore) SealLegacy(ctx context.Context, progress func(done, total int)) (converted int, err error) {
	if s.noKeys != nil {
		return 0, s.keysMissing("seal the blobs kept in clear")
	}
	if !s.clearToo() {
		return 0, errors.New("blobs kept in clear are the deployment's: convert them with the store itself, not a subject's view")
	}
	var refs []Ref
	if err := s.legacy.Walk(ctx, func(r Ref) error { refs = append(refs, r); return nil }); err != nil {
		return 0, fmt.Errorf("list the blobs kept in clear: %w", err)
	}
	var failed []string
	for i, ref := range refs {
		if err := s.sealOne(ctx, ref); err != nil {
			if ctx.Err() != nil {
				return converted, ctx.Err()
			}
			failed = append(failed, fmt.Sprintf("%s: %v", ref.SHA256, err))
		} else {
			converted++
		}
		if progress != nil {
			progress(i+1, len(refs))
		}
	}
	if len(failed) > 0 {
		return converted, fmt.Errorf("%d blobs kept in clear were not sealed:\n  %s", len(failed), strings.Join(failed, "\n  "))
	}
	return converted, nil
}

func (s *SealedStore) sealOne(ctx context.Context, ref Ref) error {
	plain, err := s.legacy.Open(ctx, ref.SHA256)
	if errors.Is(err, ErrNotFound) {
		return nil // deleted meanwhile
	}
	if err != nil {
		return err
	}
	_, _, err = s.Put(ctx, plain, ref.SHA256)
	plain.Close()
	if err != nil {
		return err
	}
	if err := s.legacy.Delete(ctx, ref.SHA256); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("sealed, but the clear copy was not removed: %w", err)
	}
	return nil
}

// Legacy reports whether the store still holds blobs kept in clear.
func (s *SealedStore) Legacy(ctx context.Context) (bool, error) {
	found := errors.New("found")
	err := s.backend.List(ctx, hashPrefix, func(name string, _ int64) error {
		if _, ok := hashFromName(name); ok {
			return found
		}
		return nil
	})
	if errors.Is(err, found) {
		return true, nil
	}
	return false, err
}
