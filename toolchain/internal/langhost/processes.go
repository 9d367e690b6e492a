package langhost

import (
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// processes are the commands a host has running (programs, plugins, installs), so that the engine's Cancel
// and a closed plugin stream can stop them: first politely (SIGINT, what Ctrl-C sends), then for good.
type processes struct {
	mu      sync.Mutex
	running map[*exec.Cmd]struct{}
}

// running is the one set of a host process: a host serves one engine, and Cancel means all of its work.
var running = &processes{running: map[*exec.Cmd]struct{}{}}

// gracePeriod is how long a stopped command has to exit after SIGINT before it is killed.
const gracePeriod = 5 * time.Second

func (p *processes) run(cmd *exec.Cmd) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	p.mu.Lock()
	p.running[cmd] = struct{}{}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.running, cmd)
		p.mu.Unlock()
	}()
	return cmd.Wait()
}

// stop interrupts cmd and kills it if it has not exited after the grace period.
func (p *processes) stop(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	go func() {
		time.Sleep(gracePeriod)
		p.mu.Lock()
		_, still := p.running[cmd]
		p.mu.Unlock()
		if still {
			_ = cmd.Process.Kill()
		}
	}()
}

// CancelAll stops every command the host is running: the engine's Cancel.
func CancelAll() {
	running.mu.Lock()
	defer running.mu.Unlock()
	for cmd := range running.running {
		running.stop(cmd)
	}
}
