// pulumi-language-nodejs is this project's Pulumi language host for Node.js (JavaScript and TypeScript): it runs
// programs and source-based plugins for the engine, installs their npm dependencies and generates Node.js SDKs
// and programs. Pulumi's own Node.js host comes with a released CLI; this one exists for machines that can
// build Pulumi only from its Go modules.
//
// Programs run through the runner script the program's own @pulumi/pulumi ships (cmd/run), so the SDK version
// the program installed decides how it is run, TypeScript included.
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
	langhost.Main("nodejs", func(flags langhost.Flags) pulumirpc.LanguageRuntimeServer {
		return &host{langhost.Base{Flags: flags}}
	})
}

// findNode is the node on PATH, with an error that says what to do.
func findNode() (string, error) {
	return langhost.Tool("node", "install Node.js (https://nodejs.org) to run Node.js programs")
}

// findSDKScript finds one of @pulumi/pulumi's runner scripts (cmd/run, cmd/run-plugin) as the program in dir
// would import it: in the node_modules folders Node.js searches, then by asking Node.js itself (Yarn PnP).
func findSDKScript(node, dir, script string) (string, error) {
	for _, folder := range nodeModulesFolders(dir) {
		candidate := filepath.Join(folder, "@pulumi", "pulumi", "cmd", script)
		if _, err := os.Stat(filepath.Join(candidate, "index.js")); err == nil {
			return candidate, nil
		}
	}
	resolve := exec.Command(node, "-e", "process.stdout.write(require.resolve(process.argv[1]))",
		"@pulumi/pulumi/cmd/"+script)
	resolve.Dir = dir
	if out, err := resolve.Output(); err == nil && len(out) > 0 {
		return strings.TrimSpace(string(out)), nil
	}
	return "", fmt.Errorf("it looks like the Pulumi SDK has not been installed in %s: have you run "+
		"`pulumi install` (or npm install / yarn install)? @pulumi/pulumi/cmd/%s was not found", dir, script)
}

func (h *host) Run(_ context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	program := langhost.ProgramFrom(req.GetInfo(), req.GetPwd())
	options, err := optionsFrom(program)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	node, err := findNode()
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	runScript, err := findSDKScript(node, program.Directory, "run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	configEnv, err := langhost.ConfigEnv(req.GetConfig(), req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	args := append([]string{}, options.nodeargs...)
	if req.GetAttachDebugger() {
		args = append(args, "--inspect-brk")
	}
	args = append(args, runScript)
	args = append(args, runArguments(req, program, h.EngineAddress, h.Tracing)...)
	cmd := exec.Command(node, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = append(append(os.Environ(), configEnv...), options.env()...)
	return langhost.RunProgram(cmd), nil
}

// RunPlugin runs a source-based plugin: a folder with PulumiPlugin.yaml (`runtime: nodejs`) whose package
// serves the plugin. It runs through @pulumi/pulumi's cmd/run-plugin (which compiles TypeScript) when the
// plugin depends on the SDK, else with node directly. The engine reads the port the plugin prints.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	if err := langhost.PluginKindProblem(req); err != nil {
		return err
	}
	program := langhost.ProgramFrom(req.GetInfo(), req.GetPwd())
	options, err := optionsFrom(program)
	if err != nil {
		return err
	}
	node, err := findNode()
	if err != nil {
		return err
	}
	entry := filepath.Join(program.Directory, program.EntryPoint)
	args := append([]string{}, options.nodeargs...)
	if runner, err := findSDKScript(node, program.Directory, "run-plugin"); err == nil {
		args = append(args, runner)
	}
	args = append(append(args, entry), req.GetArgs()...)
	cmd := exec.Command(node, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = append(os.Environ(), req.GetEnv()...)
	return langhost.RunPluginCommand(cmd, server)
}

func (h *host) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := findNode()
	if err != nil {
		return nil, err
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("could not ask %s its version: %w", node, err)
	}
	return &pulumirpc.AboutResponse{Executable: node, Version: strings.TrimPrefix(strings.TrimSpace(string(out)), "v")}, nil
}
