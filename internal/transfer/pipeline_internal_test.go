package transfer

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// The steps read hands over run in its order; a failing step stops read
// and the steps after it; a failure of read itself comes after the steps
// it handed over first.
func TestPipeline(t *testing.T) {
	const n = 1000
	failWrite, failRead := errors.New("write failed"), errors.New("read failed")
	for _, tc := range []struct {
		name        string
		failStep    int // the step that fails, or -1
		readFails   bool
		wantRan     int
		wantErr     error
		wantStopped bool // read saw the writer stop
	}{
		{"all steps", -1, false, n, nil, false},
		{"a step fails", 300, false, 300, failWrite, true},
		{"the last step fails", n - 1, false, n - 1, failWrite, false},
		{"read fails", -1, true, n, failRead, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &csvImport{}
			var ran []int
			stopped := false
			err := c.pipeline(func() error {
				for i := range n {
					err := c.write(func() error {
						if i == tc.failStep {
							return failWrite
						}
						ran = append(ran, i)
						return nil
					})
					if errors.Is(err, errPipelineStopped) {
						stopped = true
						return err
					}
					if err != nil {
						return err
					}
				}
				if tc.readFails {
					return failRead
				}
				return nil
			})
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil && err != nil) {
				t.Fatalf("pipeline: %v, want %v", err, tc.wantErr)
			}
			if len(ran) != tc.wantRan || !slices.IsSorted(ran) || (len(ran) > 0 && ran[len(ran)-1] != len(ran)-1) {
				t.Errorf("ran %d steps (first %v), want steps 0 to %d in order", len(ran), ran[:min(len(ran), 5)], tc.wantRan-1)
			}
			if stopped != tc.wantStopped {
				t.Errorf("read saw the writer stop: %v, want %v", stopped, tc.wantStopped)
			}
			if c.handOver != nil {
				t.Error("steps are still handed over after the pipeline ended")
			}
			// Outside a pipeline, a step runs at once.
			now := false
			if err := c.write(func() error { now = true; return nil }); err != nil || !now {
				t.Errorf("write outside a pipeline: ran %v, %v", now, err)
			}
		})
	}
}

// A panic in a step, or in read, comes out of pipeline on the writer's
// goroutine, and read has stopped by then.
func TestPipelinePanics(t *testing.T) {
	const n = 1000
	for _, tc := range []struct {
		name      string
		stepPanic int // the step that panics, or -1
		readPanic bool
		want      string
	}{
		{"a step panics", 300, false, "step 300"},
		{"read panics", -1, true, "read at 500"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &csvImport{}
			readDone := make(chan bool, 1)
			var got any
			func() {
				defer func() { got = recover() }()
				c.pipeline(func() error {
					stopped := false
					defer func() { readDone <- stopped }()
					for i := range n {
						if tc.readPanic && i == 500 {
							panic("read at 500")
						}
						err := c.write(func() error {
							if i == tc.stepPanic {
								panic(fmt.Sprintf("step %d", i))
							}
							return nil
						})
						if err != nil {
							stopped = errors.Is(err, errPipelineStopped)
							return err
						}
					}
					return nil
				})
			}()
			if got == nil || !strings.Contains(fmt.Sprint(got), tc.want) {
				t.Fatalf("pipeline panicked with %v, want %q", got, tc.want)
			}
			select {
			case stopped := <-readDone:
				if tc.stepPanic >= 0 && !stopped {
					t.Error("read went on after the writer panicked")
				}
			default:
				t.Error("read was still running when pipeline returned")
			}
			if c.handOver != nil {
				t.Error("steps are still handed over after the pipeline ended")
			}
		})
	}
}
