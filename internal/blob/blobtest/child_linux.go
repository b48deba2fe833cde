package blobtest

import (
	"os/exec"
	"syscall"
)

// dieWithParent has the kernel kill the server if the test process dies
// without stopping it (a test timeout, a kill), so no gateway outlives it.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
