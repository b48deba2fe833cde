package blobtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

func TestRemoveAbandonedKeepsLiveServers(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	ended := exec.Command("true")
	if err := ended.Run(); err != nil {
		t.Skipf("no process to outlive: %v", err)
	}
	dirs := map[string]struct {
		owner   string // owner.pid content; "" for none
		age     time.Duration
		removed bool
	}{
		serverDirPattern + "dead":       {strconv.Itoa(ended.Process.Pid), 0, true},
		serverDirPattern + "ours":       {strconv.Itoa(os.Getpid()), 0, false},
		serverDirPattern + "parent":     {strconv.Itoa(os.Getppid()), 0, false},
		serverDirPattern + "starting":   {"", time.Minute, false},
		serverDirPattern + "old-format": {"", 2 * time.Hour, true},
		"unrelated":                     {"", 2 * time.Hour, false},
	}
	for name, d := range dirs {
		dir := filepath.Join(tmp, name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if d.owner != "" {
			if err := os.WriteFile(filepath.Join(dir, ownerFile), []byte(d.owner), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		then := time.Now().Add(-d.age)
		if err := os.Chtimes(dir, then, then); err != nil {
			t.Fatal(err)
		}
	}
	removeAbandoned()
	for name, d := range dirs {
		_, err := os.Stat(filepath.Join(tmp, name))
		if gone := os.IsNotExist(err); gone != d.removed {
			t.Errorf("%s: removed %v, want %v", name, gone, d.removed)
		}
	}
}
