package upload

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// sweepEvery is how often creating an upload also clears expired ones.
const sweepEvery = time.Hour

// Sweep removes the uploads nothing has been written to for longer than
// the expiry, and forgets the finished uploads older than that. An upload
// being written to is left alone: its lock is taken first.
func (h *Handler) Sweep(ctx context.Context) error {
	h.sweepMu.Lock()
	defer h.sweepMu.Unlock()
	h.lastSweep = time.Now()
	entries, err := os.ReadDir(h.cfg.Dir)
	if err != nil {
		return fmt.Errorf("upload: read %s: %w", h.cfg.Dir, err)
	}
	cutoff := time.Now().Add(-h.cfg.Expiry)
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, ".done"):
			if older(e, cutoff) {
				os.Remove(h.cfg.Dir + string(os.PathSeparator) + name)
			}
		case strings.HasSuffix(name, ".info"):
			id := strings.TrimSuffix(name, ".info")
			if !validID(id) || !older(e, cutoff) {
				continue
			}
			if st, err := os.Stat(h.binPath(id)); err == nil && st.ModTime().After(cutoff) {
				continue
			}
			h.expire(ctx, id)
		}
	}
	return nil
}

// expire removes one abandoned upload, unless a request holds it.
func (h *Handler) expire(ctx context.Context, id string) {
	lock, err := h.locker.NewLock(id)
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := lock.Lock(ctx, func() {}); err != nil {
		return
	}
	defer lock.Unlock()
	h.discard(ctx, id)
}

func older(e os.DirEntry, cutoff time.Time) bool {
	fi, err := e.Info()
	if errors.Is(err, os.ErrNotExist) {
		return false
	}
	return err == nil && fi.ModTime().Before(cutoff)
}

// maybeSweep clears expired uploads in the background, at most once every
// sweepEvery.
func (h *Handler) maybeSweep() {
	h.sweepMu.Lock()
	due := time.Since(h.lastSweep) > sweepEvery
	if due {
		h.lastSweep = time.Now()
	}
	h.sweepMu.Unlock()
	if due {
		go func() {
			if err := h.Sweep(context.Background()); err != nil {
				h.log.Warn("upload: sweep", "err", err)
			}
		}()
	}
}
