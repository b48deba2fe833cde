package blob

import "syscall"

// directFlag asks open(2) to write around the page cache.
const directFlag = syscall.O_DIRECT

// setDirect turns O_DIRECT on or off for an open file.
func setDirect(fd uintptr, on bool) error {
	flags, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
	if errno != 0 {
		return errno
	}
	if on {
		flags |= syscall.O_DIRECT
	} else {
		flags &^= syscall.O_DIRECT
	}
	if _, _, errno := syscall.Syscall(syscall.SYS_FCNTL, fd, syscall.F_SETFL, flags); errno != 0 {
		return errno
	}
	return nil
}
