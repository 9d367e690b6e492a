package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/polytomic-pulumi/toolchain/internal/langhost"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// lockFiles name the package manager a project already uses, for `packagemanager: auto` (or unset) in
// Pulumi.yaml. npm is the default when there is none.
var lockFiles = []struct{ file, manager string }{
	{"yarn.lock", "yarn"},
	{"pnpm-lock.yaml", "pnpm"},
	{"bun.lock", "bun"},
	{"bun.lockb", "bun"},
	{"package-lock.json", "npm"},
}

// packageManager is the package manager for the project whose package.json is in dir.
func packageManager(choice, dir string) string {
	if choice != "" {
		return choice
	}
	for _, lock := range lockFiles {
		if _, err := os.Stat(filepath.Join(dir, lock.file)); err == nil {
			return lock.manager
		}
	}
	return "npm"
}

func findPackageManager(name string) (string, error) {
	return langhost.Tool(name, "install it, or choose another package manager with "+
		"`runtime.options.packagemanager` in Pulumi.yaml (npm, yarn, pnpm or bun)")
}

// InstallDependencies installs the program's (or plugin's) package.json with its package manager, streaming
// the output to the engine.
func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	program := langhost.ProgramFrom(req.GetInfo(), req.GetDirectory())
	options, err := optionsFrom(program)
	if err != nil {
		return err
	}
	dir := manifestDir(program)
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		return nil // nothing to install
	}
	name := packageManager(options.packageManager, dir)
	tool, err := findPackageManager(name)
	if err != nil {
		return err
	}
	sink := langhost.InstallSink(server)
	if err := sink([]byte(fmt.Sprintf("$ %s install\n", name)), nil); err != nil {
		return err
	}
	cmd := exec.Command(tool, "install")
	cmd.Dir = dir
	if err := langhost.StreamCommand(cmd, sink); err != nil {
		return fmt.Errorf("%s install failed in %s: %w", name, dir, err)
	}
	return nil
}
