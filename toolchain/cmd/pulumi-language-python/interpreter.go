package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/polytomic-pulumi/toolchain/internal/langhost"
)

// interpreter is the Python a program runs with: a virtualenv's when Pulumi.yaml names one, else the
// machine's python3 (or PULUMI_PYTHON_CMD), and the environment that makes it that virtualenv's.
type interpreter struct {
	python     string // the executable, as the user would spell it (a virtualenv's bin/python is not resolved)
	virtualenv string // "" when the program uses no virtualenv
}

// supportedToolchains are the `toolchain` runtime options this host understands. uv keeps its environment in
// a virtualenv (.venv unless `virtualenv` says otherwise), so it is run like pip's.
var supportedToolchains = map[string]bool{"": true, "pip": true, "uv": true}

// interpreterFor finds the interpreter of a program from its runtime options.
func interpreterFor(program langhost.Program) (interpreter, error) {
	toolchain := program.Option("toolchain")
	if !supportedToolchains[toolchain] {
		return interpreter{}, fmt.Errorf("the Python toolchain %q (runtime option `toolchain` in Pulumi.yaml) is not "+
			"supported by this project's Python language host, which knows pip and uv; use `toolchain: pip` with a "+
			"`virtualenv`, or install the Pulumi CLI, whose host supports it", toolchain)
	}
	virtualenv := program.Option("virtualenv")
	if virtualenv == "" && toolchain == "uv" {
		virtualenv = ".venv"
	}
	if virtualenv == "" {
		python := os.Getenv("PULUMI_PYTHON_CMD")
		if python == "" {
			python = "python3"
		}
		return interpreter{python: python}, nil
	}
	venv := strings.TrimSuffix(program.Resolve(virtualenv), string(filepath.Separator))
	return interpreter{python: filepath.Join(venv, "bin", "python"), virtualenv: venv}, nil
}

// exists says whether the interpreter can be run, and if not, how the user makes it so.
func (i interpreter) check() error {
	if i.virtualenv == "" {
		if _, err := exec.LookPath(i.python); err != nil {
			return fmt.Errorf("no %s on PATH: install Python 3, or name a virtualenv in Pulumi.yaml "+
				"(runtime.options.virtualenv)", i.python)
		}
		return nil
	}
	if _, err := os.Stat(i.python); err != nil {
		return fmt.Errorf("the virtualenv %s named in Pulumi.yaml (runtime.options.virtualenv) has no bin/python; "+
			"create it and install the program's dependencies with `pulumi install`", i.virtualenv)
	}
	return nil
}

// command runs the interpreter with the virtualenv active, as `source bin/activate` would make it.
func (i interpreter) command(dir string, args ...string) *exec.Cmd {
	return i.tool(dir, i.python, args...)
}

// tool runs another program (pip's python, uv, venv's creator) with the virtualenv active.
func (i interpreter) tool(dir, name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = i.environ(os.Environ())
	return cmd
}

// environ is base with the virtualenv activated: VIRTUAL_ENV set, its bin first on PATH, no PYTHONHOME.
func (i interpreter) environ(base []string) []string {
	if i.virtualenv == "" {
		return base
	}
	env := make([]string, 0, len(base)+2)
	path := filepath.Join(i.virtualenv, "bin")
	for _, entry := range base {
		name, value, _ := strings.Cut(entry, "=")
		switch name {
		case "PYTHONHOME", "VIRTUAL_ENV":
			continue
		case "PATH":
			path += string(os.PathListSeparator) + value
			continue
		}
		env = append(env, entry)
	}
	return append(env, "VIRTUAL_ENV="+i.virtualenv, "PATH="+path)
}
