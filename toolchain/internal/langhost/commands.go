package langhost

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// BailExitCode is the exit code with which a program says it has already shown its error to the user: the
// engine then stops without adding a message of its own. Pulumi's Python and Node.js runtimes use 32.
const BailExitCode = 32

// ConfigEnv is the stack's configuration as every Pulumi language SDK reads it: PULUMI_CONFIG holds the values
// (secrets already decrypted by the engine) as JSON, PULUMI_CONFIG_SECRET_KEYS the names of the secret ones.
func ConfigEnv(config map[string]string, secretKeys []string) ([]string, error) {
	if config == nil {
		config = map[string]string{}
	}
	if secretKeys == nil {
		secretKeys = []string{}
	}
	values, err := json.Marshal(config)
	if err != nil {
		return nil, fmt.Errorf("could not encode the stack's configuration: %w", err)
	}
	secrets, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("could not encode the stack's secret configuration keys: %w", err)
	}
	return []string{"PULUMI_CONFIG=" + string(values), "PULUMI_CONFIG_SECRET_KEYS=" + string(secrets)}, nil
}

// RunProgram runs a program with the host's own stdout and stderr, which the engine shows as the program's
// output, and turns the way it ended into the engine's answer.
func RunProgram(cmd *exec.Cmd) *pulumirpc.RunResponse {
	// Through pipes of the host's own, not the host's files: a program may set its output non-blocking
	// (Node.js does), which would change the descriptors the host itself writes to.
	cmd.Stdout, cmd.Stderr = struct{ io.Writer }{os.Stdout}, struct{ io.Writer }{os.Stderr}
	err := running.run(context.Background(), cmd, true)
	if err == nil {
		return &pulumirpc.RunResponse{}
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if exitErr.ExitCode() == BailExitCode {
			return &pulumirpc.RunResponse{Bail: true}
		}
		if exitErr.ExitCode() < 0 {
			return &pulumirpc.RunResponse{Error: "the program was stopped: " + exitErr.String()}
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited with non-zero exit code: %d", exitErr.ExitCode())}
	}
	return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run the program (%s): %v", filepath.Base(cmd.Path), err)}
}

// OutputSink receives a command's output as it comes, one chunk at a time, from either stream.
type OutputSink func(stdout, stderr []byte) error

// streamWriter is one stream of a command, forwarded to a sink shared with the other stream.
type streamWriter struct {
	mu     *sync.Mutex
	sink   OutputSink
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	chunk := append([]byte(nil), p...)
	w.mu.Lock()
	defer w.mu.Unlock()
	var err error
	if w.stderr {
		err = w.sink(nil, chunk)
	} else {
		err = w.sink(chunk, nil)
	}
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// StreamCommand runs cmd and sends its stdout and stderr to sink as they are written, for the RPCs that stream
// a command's progress back to the engine (InstallDependencies, a plugin's build).
func StreamCommand(cmd *exec.Cmd, sink OutputSink) error {
	return StreamCommandContext(context.Background(), cmd, sink)
}

// StreamCommandContext is StreamCommand for work that stops when ctx ends (a RunPlugin stream closing).
func StreamCommandContext(ctx context.Context, cmd *exec.Cmd, sink OutputSink) error {
	return streamCommand(ctx, cmd, sink, true)
}

func streamCommand(ctx context.Context, cmd *exec.Cmd, sink OutputSink, cancellable bool) error {
	var mu sync.Mutex
	cmd.Stdout = streamWriter{mu: &mu, sink: sink}
	cmd.Stderr = streamWriter{mu: &mu, sink: sink, stderr: true}
	return running.run(ctx, cmd, cancellable)
}

// syncBuffer collects a command's output; the command's copying goroutine writes it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.buf.Bytes()...)
}

// InstallSink sends a command's output as InstallDependencies answers.
func InstallSink(server interface {
	Send(*pulumirpc.InstallDependenciesResponse) error
},
) OutputSink {
	return func(stdout, stderr []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: stdout, Stderr: stderr})
	}
}

// PluginKindProblem refuses what the hosts do not run: a policy pack (kind "analyzer", PulumiPolicy.yaml)
// also comes through RunPlugin, and would be started as if it were a provider.
func PluginKindProblem(req *pulumirpc.RunPluginRequest) error {
	if kind := req.GetKind(); kind != "" && kind != "resource" {
		return fmt.Errorf("this project's language hosts run provider plugins only, not %s plugins "+
			"(policy packs need Pulumi's own language host: install the Pulumi CLI)", kind)
	}
	return nil
}

// RunPluginServer is the stream a RunPlugin call answers on.
type RunPluginServer interface {
	Send(*pulumirpc.RunPluginResponse) error
	Context() context.Context
}

// RunPluginCommand runs a plugin's command, streams its output to the engine (which reads the port the plugin
// prints from it), and ends the stream with the plugin's exit code. The plugin is stopped when the engine
// closes the stream (or goes away), not by Cancel.
func RunPluginCommand(cmd *exec.Cmd, server RunPluginServer) error {
	err := streamCommand(server.Context(), cmd, func(stdout, stderr []byte) error {
		if stdout != nil {
			return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: stdout}})
		}
		return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: stderr}})
	}, false)
	code := 0
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		return fmt.Errorf("could not start the plugin %s: %w", filepath.Base(cmd.Path), err)
	}
	return server.Send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}
