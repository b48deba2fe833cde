package db

import (
	"os"
	"path/filepath"
	"testing"
)

func TestMemAvailable(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		meminfo string
		kib     int64
		ok      bool
	}{
		{"MemTotal:       24684012 kB\nMemFree:        23696200 kB\nMemAvailable:   23682160 kB\nBuffers: 1 kB\n", 23682160, true},
		{"MemTotal:       24684012 kB\n", 0, false}, // a kernel before 3.14
		{"MemAvailable:   23682160 MB\n", 0, false},
		{"MemAvailable:   many kB\n", 0, false},
		{"MemAvailable:   0 kB\n", 0, false},
	} {
		name := filepath.Join(dir, "meminfo")
		if err := os.WriteFile(name, []byte(c.meminfo), 0o600); err != nil {
			t.Fatal(err)
		}
		if kib, ok := memAvailableKiB(name); kib != c.kib || ok != c.ok {
			t.Errorf("memAvailableKiB(%q) = %d, %v; want %d, %v", c.meminfo, kib, ok, c.kib, c.ok)
		}
	}
	if _, ok := memAvailableKiB(filepath.Join(dir, "none")); ok {
		t.Error("memAvailableKiB of a missing file said ok")
	}
}
