package main

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/polytomic-pulumi/toolchain/internal/langhost"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// nodeOptions are the `runtime.options` of a Node.js project's Pulumi.yaml that change how it runs.
type nodeOptions struct {
	typescript     bool     // run .ts through the ts-node that @pulumi/pulumi brings (default true)
	tsconfig       string   // tsconfig file ts-node uses instead of ./tsconfig.json
	nodeargs       []string // extra arguments for node itself, e.g. --max-old-space-size=4096
	packageManager string   // npm, yarn, pnpm, bun, or "" to choose from the lock file
}

func optionsFrom(program langhost.Program) (nodeOptions, error) {
	nodeargs, err := splitArgs(program.Option("nodeargs"))
	if err != nil {
		return nodeOptions{}, fmt.Errorf("runtime option `nodeargs` in Pulumi.yaml: %w", err)
	}
	manager := program.Option("packagemanager")
	switch manager {
	case "", "auto":
		manager = ""
	case "npm", "yarn", "pnpm", "bun":
	default:
		return nodeOptions{}, fmt.Errorf(
			"unknown packagemanager %q (runtime option in Pulumi.yaml): use npm, yarn, pnpm, bun or auto", manager)
	}
	return nodeOptions{
		typescript:     program.BoolOption("typescript", true),
		tsconfig:       program.Option("tsconfig"),
		nodeargs:       nodeargs,
		packageManager: manager,
	}, nil
}

// env is what the SDK's run script reads from the environment rather than from its flags.
func (o nodeOptions) env() []string {
	// Always set, so that a value left in the user's shell cannot turn TypeScript on against Pulumi.yaml.
	env := []string{fmt.Sprintf("PULUMI_NODEJS_TYPESCRIPT=%t", o.typescript)}
	if o.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+o.tsconfig)
	}
	return env
}

// splitArgs splits a command line the way a POSIX shell would for words: blanks separate, single quotes keep
// everything, double quotes and backslashes escape. nodeargs is written as one string in Pulumi.yaml.
func splitArgs(line string) ([]string, error) {
	var args []string
	var word strings.Builder
	inWord := false
	var quote rune
	escaped := false
	for _, r := range line {
		switch {
		case escaped:
			word.WriteRune(r)
			escaped = false
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				word.WriteRune(r)
			}
		case r == '\\':
			escaped, inWord = true, true
		case quote == '"':
			if r == '"' {
				quote = 0
			} else {
				word.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t' || r == '\n':
			if inWord {
				args = append(args, word.String())
				word.Reset()
				inWord = false
			}
		default:
			word.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 || escaped {
		return nil, errors.New("unterminated quote or escape in " + strconv.Quote(line))
	}
	if inWord {
		args = append(args, word.String())
	}
	return args, nil
}

// runArguments are the flags @pulumi/pulumi's cmd/run reads (minimist, stopping at the first positional
// argument), then the program and its own arguments. The program is the entry point relative to --pwd: "."
// lets the run script pick package.json's `main` or `exports`.
func runArguments(req *pulumirpc.RunRequest, program langhost.Program, engineAddress, tracing string) []string {
	var args []string
	add := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name+"="+value)
		}
	}
	add("monitor", req.GetMonitorAddress())
	add("engine", engineAddress)
	add("organization", req.GetOrganization())
	add("project", req.GetProject())
	add("stack", req.GetStack())
	add("pwd", req.GetPwd())
	add("root-directory", program.Root)
	add("parallel", strconv.Itoa(int(req.GetParallel())))
	add("tracing", tracing)
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	entry := program.EntryPoint
	if req.GetInfo() == nil && req.GetProgram() != "" { //nolint:staticcheck // engines before ProgramInfo
		entry = req.GetProgram() //nolint:staticcheck
	}
	if entry == "" {
		entry = "."
	}
	if strings.HasPrefix(entry, "-") {
		entry = "." + string(filepath.Separator) + entry // a file named "-x" must not read as a flag
	}
	args = append(args, entry)
	return append(args, req.GetArgs()...)
}
