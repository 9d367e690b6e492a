package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/polytomic-pulumi/toolchain/internal/langhost"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// pluginsScript prints, as JSON, the pulumi-plugin.json of every installed distribution that has one at the
// top of a package: how a Pulumi SDK says which provider plugin it needs.
const pluginsScript = `
import importlib.metadata, json, os, sys
# Only what is installed: not the working folder, which Python puts first on the path of a -c script.
sys.path = [p for p in sys.path if p and os.path.abspath(p) != os.getcwd()]
found = []
for dist in importlib.metadata.distributions():
    for file in dist.files or ():
        if len(file.parts) == 2 and file.parts[1] == "pulumi-plugin.json":
            try:
                found.append(json.loads(file.read_text()))
            except (OSError, ValueError):
                pass
json.dump(found, sys.stdout)
`

// pluginFile is what an SDK's pulumi-plugin.json says.
type pluginFile struct {
	Resource         bool   `json:"resource"`
	Name             string `json:"name"`
	Version          string `json:"version"`
	Server           string `json:"server"`
	Parameterization *struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Value   []byte `json:"value"`
	} `json:"parameterization"`
}

// packagesFrom turns the SDKs' plugin files into the packages the engine must load.
func packagesFrom(files []pluginFile) []*pulumirpc.PackageDependency {
	packages := []*pulumirpc.PackageDependency{}
	seen := map[string]bool{}
	for _, file := range files {
		if !file.Resource || file.Name == "" {
			continue
		}
		dependency := &pulumirpc.PackageDependency{
			Kind: "resource", Name: file.Name, Version: langhost.PluginVersion(file.Version), Server: file.Server,
		}
		key := dependency.Name + "@" + dependency.Version
		if p := file.Parameterization; p != nil {
			dependency.Parameterization = &pulumirpc.PackageParameterization{
				Name: p.Name, Version: p.Version, Value: p.Value,
			}
			key += "/" + p.Name + "@" + p.Version
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		packages = append(packages, dependency)
	}
	return packages
}

func (h *host) requiredPackages(info *pulumirpc.ProgramInfo) ([]*pulumirpc.PackageDependency, error) {
	program := langhost.ProgramFrom(info, "")
	python, err := interpreterFor(program)
	if err != nil {
		return nil, err
	}
	if python.check() != nil {
		// Nothing is installed yet: the run itself will say how to install it.
		return nil, nil
	}
	cacheDir, key := pluginCacheDir(), pluginListKey(python, os.Getenv("PYTHONPATH"))
	out, kept := keptPluginList(cacheDir, key)
	if !kept {
		out, err = python.command(program.Directory, "-c", pluginsScript).Output()
		if err != nil {
			return nil, fmt.Errorf("could not list the program's Pulumi packages with %s: %w", python.python, err)
		}
	}
	var files []pluginFile
	if err := json.Unmarshal(out, &files); err != nil {
		return nil, fmt.Errorf("could not read the program's Pulumi packages: %w", err)
	}
	if !kept {
		keepPluginList(cacheDir, key, out)
	}
	return packagesFrom(files), nil
}

func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (
	*pulumirpc.GetRequiredPackagesResponse, error,
) {
	packages, err := h.requiredPackages(req.GetInfo())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

func (h *host) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest) (
	*pulumirpc.GetRequiredPluginsResponse, error,
) {
	packages, err := h.requiredPackages(req.GetInfo())
	if err != nil {
		return nil, err
	}
	return langhost.PluginsOf(packages), nil
}

// InstallDependencies makes the program's virtualenv if it has none yet and installs requirements.txt into it
// (uv: `uv sync` where a pyproject.toml says what to install), streaming the tools' output to the engine.
func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	program := langhost.ProgramFrom(req.GetInfo(), req.GetDirectory())
	python, err := interpreterFor(program)
	if err != nil {
		return err
	}
	sink := langhost.InstallSink(server)
	say := func(format string, args ...any) error {
		return sink([]byte(fmt.Sprintf(format+"\n", args...)), nil)
	}
	run := func(name string, args ...string) error {
		if err := say("$ %s %s", filepath.Base(name), strings.Join(args, " ")); err != nil {
			return err
		}
		if err := langhost.StreamCommand(python.tool(program.Directory, name, args...), sink); err != nil {
			return fmt.Errorf("%s %s failed: %w", filepath.Base(name), strings.Join(args, " "), err)
		}
		return nil
	}

	if program.Option("toolchain") == "uv" && exists(filepath.Join(program.Directory, "pyproject.toml")) {
		uv, err := lookPath("uv")
		if err != nil {
			return err
		}
		return run(uv, "sync")
	}
	if python.virtualenv != "" && !exists(python.python) {
		base := os.Getenv("PULUMI_PYTHON_CMD")
		if base == "" {
			base = "python3"
		}
		system, err := lookPath(base)
		if err != nil {
			return err
		}
		if err := run(system, "-m", "venv", python.virtualenv); err != nil {
			return err
		}
		if err := run(python.python, "-m", "pip", "install", "--upgrade", "pip", "setuptools", "wheel"); err != nil {
			return err
		}
	}
	requirements := filepath.Join(program.Directory, "requirements.txt")
	if !exists(requirements) {
		return nil // nothing to install: a plugin or program whose virtualenv is made elsewhere
	}
	pythonPath := python.python
	if python.virtualenv == "" {
		if pythonPath, err = lookPath(python.python); err != nil {
			return err
		}
	}
	return run(pythonPath, "-m", "pip", "install", "-r", requirements)
}

// GetProgramDependencies lists the distributions installed for the program (`pip list`), for `pulumi about`.
func (h *host) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest) (
	*pulumirpc.GetProgramDependenciesResponse, error,
) {
	program := langhost.ProgramFrom(req.GetInfo(), req.GetPwd())
	python, err := interpreterFor(program)
	if err != nil {
		return nil, err
	}
	if err := python.check(); err != nil {
		return nil, err
	}
	args := []string{"-m", "pip", "list", "--format", "json", "--disable-pip-version-check"}
	if !req.GetTransitiveDependencies() {
		args = append(args, "--not-required")
	}
	out, err := python.command(program.Directory, args...).Output()
	if err != nil {
		return nil, fmt.Errorf("pip list failed: %w", err)
	}
	var listed []struct{ Name, Version string }
	if err := json.Unmarshal(out, &listed); err != nil {
		return nil, fmt.Errorf("could not read pip list's answer: %w", err)
	}
	dependencies := make([]*pulumirpc.DependencyInfo, 0, len(listed))
	for _, d := range listed {
		dependencies = append(dependencies, &pulumirpc.DependencyInfo{Name: d.Name, Version: d.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: dependencies}, nil
}

// parsePythonVersion reads "Python 3.11.7" as "3.11.7".
func parsePythonVersion(output string) string {
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(output), "Python"))
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func lookPath(name string) (string, error) {
	return langhost.Tool(name, "install it to install the program's dependencies")
}
