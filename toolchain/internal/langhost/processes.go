package langhost

import (
	"context"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// processes are the commands a host has running, so that they can be stopped: first politely (SIGINT, what
// Ctrl-C sends), then for good. Work done for one engine request (a program, a build, an install) stops
// on the engine's Cancel; a plugin serves the engine until its stream closes, and Cancel, which comes with
// the first Ctrl-C while providers may be in the middle of a create, leaves it alone.
type processes struct {
	mu      sync.Mutex
	running map[*exec.Cmd]bool // the command, and whether Cancel stops it
}

// running is the one set of a host process: a host serves one engine, and Cancel means all of its work.
var running = &processes{running: map[*exec.Cmd]bool{}}

// gracePeriod is how long a stopped command has to exit after SIGINT before it is killed.
const gracePeriod = 5 * time.Second

// run starts cmd, stops it when ctx ends, and waits for it. Nothing can stop it before it has started, and
// it is stopped at once if ctx ended meanwhile.
func (p *processes) run(ctx context.Context, cmd *exec.Cmd, cancellable bool) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	p.mu.Lock()
	p.running[cmd] = cancellable
	p.mu.Unlock()
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			p.stop(cmd)
		case <-done:
		}
	}()
	err := cmd.Wait()
	close(done)
	p.mu.Lock()
	delete(p.running, cmd)
	p.mu.Unlock()
	return err
}

// stop interrupts a started cmd and kills it if it has not exited after the grace period.
func (p *processes) stop(cmd *exec.Cmd) {
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

func (p *processes) stopAll(includingPlugins bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for cmd, cancellable := range p.running {
		if cancellable || includingPlugins {
			p.stop(cmd)
		}
	}
}

// CancelAll stops the programs, builds and installs the host is running: the engine's Cancel. Plugins
// keep serving until the engine closes their streams.
func CancelAll() { running.stopAll(false) }

// stopEverything stops every command, plugins included: the engine is gone, and the host exits.
func stopEverything() { running.stopAll(true) }

// Output runs a command that answers a question (a path, a version, a package list) and returns its
// stdout; Cancel stops it like any other work.
func Output(cmd *exec.Cmd) ([]byte, error) {
	var out syncBuffer
	cmd.Stdout = &out
	err := running.run(context.Background(), cmd, true)
	return out.Bytes(), err
}
