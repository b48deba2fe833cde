package blobtest

import (
	"errors"
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill the server if the test process dies
// without stopping it (a test timeout, a kill), so no gateway outlives it.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// processAlive reports whether a process with this ID exists.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
