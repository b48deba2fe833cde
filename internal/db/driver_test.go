package db

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The pure-Go SQLite driver is generated against one exact version of
// modernc.org/libc; a dependency that pushes libc higher breaks it in subtle
// ways. This fails as soon as go.mod drifts from the pair the driver requires.
func TestSQLiteDriverMatchesItsLibc(t *testing.T) {
	list, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "modernc.org/sqlite", "modernc.org/libc").Output()
	if err != nil {
		t.Fatalf("go list the driver and libc versions: %v", err)
	}
	fields := strings.Fields(string(list))
	if len(fields) != 2 {
		t.Fatalf("go list printed %q", list)
	}
	sqliteVersion, libcVersion := fields[0], fields[1]
	out, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Fatalf("go env GOMODCACHE: %v", err)
	}
	modFile := filepath.Join(strings.TrimSpace(string(out)), "cache", "download", "modernc.org", "sqlite", "@v", sqliteVersion+".mod")
	mod, err := os.ReadFile(modFile)
	if err != nil {
		t.Fatalf("read the driver's go.mod: %v", err)
	}
	m := regexp.MustCompile(`modernc\.org/libc (v\S+)`).FindSubmatch(mod)
	if m == nil {
		t.Fatalf("%s does not require modernc.org/libc", modFile)
	}
	if want := string(m[1]); libcVersion != want {
		t.Fatalf("modernc.org/sqlite %s requires modernc.org/libc %s, but the build uses %s: pin libc in go.mod", sqliteVersion, want, libcVersion)
	}
}
