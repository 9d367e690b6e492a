// pulumi-language-go is this project's Pulumi language host for Go: it builds and runs Go programs and
// source-based Go plugins for the engine, installs their modules and generates Go SDKs and programs. A released
// Pulumi CLI brings Pulumi's own Go host; this one exists for machines that can build Pulumi only from its Go
// modules.
//
// A Go program is built with the machine's `go` into a temporary binary (or the project's `buildTarget`), or a
// prebuilt `binary` is run, with the run's settings in the environment variables the Go SDK reads.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/polytomic-pulumi/toolchain/internal/langhost"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

type host struct{ langhost.Base }

func main() {
	langhost.Main("go", func(flags langhost.Flags) pulumirpc.LanguageRuntimeServer {
		return &host{langhost.Base{Flags: flags}}
	})
}

// findGo is the go on PATH, with an error that says what to do.
func findGo() (string, error) {
	return langhost.Tool("go", "install Go (https://go.dev/dl) to build and run Go programs")
}

func (h *host) Run(_ context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	program := langhost.ProgramFrom(req.GetInfo(), req.GetPwd())
	options, err := optionsFrom(program)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	if req.GetAttachDebugger() {
		return &pulumirpc.RunResponse{Error: "this Go language host cannot attach a debugger (Delve) to a program"}, nil
	}
	env, err := runEnv(req, program, h.EngineAddress)
	if err != nil {
		return nil, err
	}
	binary := options.binary
	if binary == "" {
		out, cleanup, err := buildOutput(options.buildTarget)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		if err := build(context.Background(), program, out); err != nil {
			return &pulumirpc.RunResponse{Error: err.Error()}, nil
		}
		binary = out
	}
	cmd := exec.Command(binary, req.GetArgs()...)
	cmd.Dir = req.GetPwd()
	cmd.Env = append(os.Environ(), env...)
	return langhost.RunProgram(cmd), nil
}

// RunPlugin builds and runs a source-based plugin: a Go main package in a folder with PulumiPlugin.yaml
// (`runtime: go`). The build's output is kept out of the plugin's stdout, where the engine reads the port.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	if err := langhost.PluginKindProblem(req); err != nil {
		return err
	}
	program := langhost.ProgramFrom(req.GetInfo(), req.GetPwd())
	options, err := optionsFrom(program)
	if err != nil {
		return err
	}
	binary := options.binary
	if binary == "" {
		out, cleanup, err := buildOutput(options.buildTarget)
		if err != nil {
			return err
		}
		defer cleanup()
		if err := build(server.Context(), program, out); err != nil {
			return err
		}
		binary = out
	}
	cmd := exec.Command(binary, req.GetArgs()...)
	cmd.Dir = req.GetPwd()
	cmd.Env = append(os.Environ(), req.GetEnv()...)
	return langhost.RunPluginCommand(cmd, server)
}

// About names the go that builds programs and its version (`pulumi about`).
func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	gobin, err := findGo()
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(gobin, "env", "GOVERSION").Output()
	if err != nil {
		return nil, fmt.Errorf("could not ask %s its version: %w", gobin, err)
	}
	return &pulumirpc.AboutResponse{
		Executable: gobin,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "go"),
	}, nil
}

// removeQuietly is a cleanup that ignores what is already gone.
func removeQuietly(path string) func() {
	return func() { _ = os.RemoveAll(filepath.Clean(path)) }
}
