//go:build !linux

package blob

// directFlag: writing around the page cache is only done on Linux.
const directFlag = 0

func setDirect(fd uintptr, on bool) error { return nil }
