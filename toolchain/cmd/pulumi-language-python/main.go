// pulumi-language-python is this project's Pulumi language host for Python: it runs Python programs and
// source-based Python plugins for the engine, installs their dependencies and generates Python SDKs and
// programs. A user's installed Pulumi CLI brings Pulumi's own host; this one exists for machines that can
// build Pulumi only from its Go modules (see docs/pulumi-cli.md).
//
// Programs run through `pulumi-language-python-exec`, the runner script Pulumi's Python SDK module ships,
// installed beside this binary.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	"github.com/polytomic-pulumi/toolchain/internal/langhost"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// execScript is the runner that configures the Python SDK from its arguments and runs the program.
const execScript = "pulumi-language-python-exec"

type host struct{ langhost.Base }

func main() {
	langhost.Main("python", func(flags langhost.Flags) pulumirpc.LanguageRuntimeServer {
		return &host{langhost.Base{Flags: flags}}
	})
}

// findExecScript looks beside this binary first (where scripts/install-pulumi puts it), then on PATH.
func findExecScript() (string, error) {
	if self, err := os.Executable(); err == nil {
		beside := filepath.Join(filepath.Dir(self), execScript)
		if _, err := os.Stat(beside); err == nil {
			return beside, nil
		}
	}
	if onPath, err := exec.LookPath(execScript); err == nil {
		return onPath, nil
	}
	return "", fmt.Errorf("%s is neither beside %s nor on PATH: run scripts/install-pulumi again", execScript, os.Args[0])
}

// runArguments are the runner's flags for a RunRequest, then the program and its own arguments.
func (h *host) runArguments(req *pulumirpc.RunRequest, program langhost.Program) []string {
	args := []string{}
	add := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", h.EngineAddress)
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("dry_run", strconv.FormatBool(req.GetDryRun()))
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", h.Tracing)
	add("organization", req.GetOrganization())
	add("root_directory", program.Root)
	entry := program.EntryPoint
	if req.GetInfo() == nil && req.GetProgram() != "" { //nolint:staticcheck // engines before ProgramInfo
		entry = req.GetProgram() //nolint:staticcheck
	}
	args = append(args, entry)
	return append(args, req.GetArgs()...)
}

func (h *host) Run(_ context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	program := langhost.ProgramFrom(req.GetInfo(), req.GetPwd())
	python, err := interpreterFor(program)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	if err := python.check(); err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	if checker := program.Option("typechecker"); checker != "" {
		if failure := typecheck(python, checker, program.Directory); failure != nil {
			return failure, nil
		}
	}
	script, err := findExecScript()
	if err != nil {
		return nil, err
	}
	configEnv, err := langhost.ConfigEnv(req.GetConfig(), req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	cmd := python.command(req.GetPwd(), append([]string{"-u", script}, h.runArguments(req, program)...)...)
	cmd.Env = append(cmd.Env, configEnv...)
	return langhost.RunProgram(cmd), nil
}

// typecheck runs the type checker Pulumi.yaml names over the program before it runs, as Pulumi's host does.
func typecheck(python interpreter, checker, dir string) *pulumirpc.RunResponse {
	var cmd *exec.Cmd
	switch checker {
	case "mypy":
		cmd = python.command(dir, "-m", "mypy", ".")
	case "pyright":
		cmd = python.command(dir, "-m", "pyright", ".")
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf(
			"unknown typechecker %q (runtime option `typechecker` in Pulumi.yaml): use mypy or pyright", checker)}
	}
	// Its findings go where the program's output goes (the engine shows them); Cancel stops it.
	if err := langhost.StreamCommand(cmd, func(stdout, stderr []byte) error {
		_, errOut := os.Stdout.Write(stdout)
		_, errErr := os.Stderr.Write(stderr)
		return errors.Join(errOut, errErr)
	}); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("%s found type errors (exit code %d)", checker, exitErr.ExitCode())}
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run %s: %v (install it in the virtualenv)", checker, err)}
	}
	return nil
}

// RunPlugin runs a source-based plugin: a folder with PulumiPlugin.yaml (`runtime: python`) whose __main__.py
// serves the plugin. Its output goes back to the engine, which reads the port the plugin prints.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	if err := langhost.PluginKindProblem(req); err != nil {
		return err
	}
	program := langhost.ProgramFrom(req.GetInfo(), req.GetPwd())
	python, err := interpreterFor(program)
	if err != nil {
		return err
	}
	if err := python.check(); err != nil {
		return err
	}
	entry := filepath.Join(program.Directory, program.EntryPoint)
	cmd := python.command(req.GetPwd(), append([]string{"-u", entry}, req.GetArgs()...)...)
	cmd.Env = append(cmd.Env, req.GetEnv()...)
	return langhost.RunPluginCommand(cmd, server)
}

func (h *host) About(_ context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	program := langhost.ProgramFrom(req.GetInfo(), "")
	python, err := interpreterFor(program)
	if err != nil {
		return nil, err
	}
	executable := python.python
	if python.virtualenv == "" {
		if executable, err = exec.LookPath(python.python); err != nil {
			return nil, python.check()
		}
	}
	version, err := python.command(program.Directory, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("could not ask %s its version: %w", executable, err)
	}
	return &pulumirpc.AboutResponse{Executable: executable, Version: parsePythonVersion(string(version))}, nil
}
