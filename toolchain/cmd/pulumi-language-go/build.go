package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/polytomic-pulumi/toolchain/internal/langhost"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// goOptions are the runtime options of a Go project's Pulumi.yaml (or a plugin's PulumiPlugin.yaml).
type goOptions struct {
	binary      string // a prebuilt program to run instead of building one; absolute, or a name on PATH
	buildTarget string // where to build the program (kept after the run), absolute; "" for a temporary file
}

// optionsFrom reads the Go runtime options. Relative paths are relative to the program's directory, where
// `go build` runs, as with Pulumi's own Go host; a bare `binary` name not found there is looked up on PATH.
func optionsFrom(program langhost.Program) (goOptions, error) {
	options := goOptions{binary: program.Option("binary"), buildTarget: program.Option("buildTarget")}
	if options.binary != "" && options.buildTarget != "" {
		return options, errors.New("runtime options `binary` and `buildTarget` in Pulumi.yaml cannot both be set: " +
			"`binary` runs a program built beforehand, `buildTarget` says where to build it")
	}
	if options.buildTarget != "" && !filepath.IsAbs(options.buildTarget) {
		options.buildTarget = filepath.Join(program.Directory, options.buildTarget)
	}
	if options.binary != "" && !filepath.IsAbs(options.binary) {
		local := filepath.Join(program.Directory, options.binary)
		if _, err := os.Stat(local); err == nil {
			options.binary = local
		} else if onPath, err := exec.LookPath(options.binary); err == nil && !strings.ContainsRune(options.binary, '/') {
			options.binary = onPath
		} else {
			return options, fmt.Errorf("the program binary %q (runtime option `binary` in Pulumi.yaml) is neither "+
				"in %s nor on PATH: build it first, or remove the option to let Pulumi build the program",
				options.binary, program.Directory)
		}
	}
	return options, nil
}

// runEnv is how a Go program learns about its run: the Go SDK's pulumi.Run reads these variables (see
// sdk/go/pulumi/run.go). Every one is set, empty or not, so that a value left in the user's shell cannot leak in.
func runEnv(req *pulumirpc.RunRequest, program langhost.Program, engineAddress string) ([]string, error) {
	config, err := langhost.ConfigEnv(req.GetConfig(), req.GetConfigSecretKeys())
	if err != nil {
		return nil, err
	}
	return append([]string{
		pulumi.EnvMonitor + "=" + req.GetMonitorAddress(),
		pulumi.EnvEngine + "=" + engineAddress,
		pulumi.EnvProject + "=" + req.GetProject(),
		pulumi.EnvStack + "=" + req.GetStack(),
		pulumi.EnvOrganization + "=" + req.GetOrganization(),
		pulumi.EnvPulumiRootDirectory + "=" + program.Root,
		pulumi.EnvDryRun + "=" + strconv.FormatBool(req.GetDryRun()),
		pulumi.EnvParallel + "=" + strconv.Itoa(int(req.GetParallel())),
	}, config...), nil
}

// buildOutput is where to build a program: the buildTarget the project asks for, else a fresh temporary file
// that cleanup removes.
func buildOutput(buildTarget string) (out string, cleanup func(), err error) {
	if buildTarget != "" {
		if err := os.MkdirAll(filepath.Dir(buildTarget), 0o755); err != nil {
			return "", nil, fmt.Errorf("could not create the folder of buildTarget %s: %w", buildTarget, err)
		}
		return buildTarget, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "pulumi-go-")
	if err != nil {
		return "", nil, fmt.Errorf("could not create a temporary folder for the Go build: %w", err)
	}
	return filepath.Join(dir, "program"), removeQuietly(dir), nil
}

// buildPackage is what `go build` builds for a program: its directory, or the entry point Pulumi.yaml names.
func buildPackage(program langhost.Program) string {
	entry := program.EntryPoint
	if entry == "" || entry == "." {
		return "."
	}
	if filepath.IsAbs(entry) {
		return entry
	}
	return "./" + filepath.ToSlash(filepath.Clean(entry))
}

// build compiles a program (or plugin) into out. The compiler's output is kept and becomes the error, so that
// a program that does not compile tells the user why, and a plugin's stdout carries nothing but the plugin's.
func build(ctx context.Context, program langhost.Program, out string) error {
	gobin, err := findGo()
	if err != nil {
		return err
	}
	if installedBuild(ctx, program, out) {
		return nil
	}
	var output bytes.Buffer
	cmd := exec.Command(gobin, "build", "-o", out, buildPackage(program))
	cmd.Dir = program.Directory
	err = langhost.StreamCommandContext(ctx, cmd, func(stdout, stderr []byte) error {
		output.Write(stdout)
		output.Write(stderr)
		return nil
	})
	if err != nil {
		return buildError(program.Directory, output.String(), err)
	}
	if info, err := os.Stat(out); err != nil || info.Mode()&0o111 == 0 {
		return fmt.Errorf("`go build` in %s made no executable: is the program's package `package main`, with "+
			"a func main that calls pulumi.Run?", program.Directory)
	}
	return nil
}

// buildError says why `go build` failed, with a hint when the cause is modules that are not installed yet.
func buildError(dir, output string, err error) error {
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return fmt.Errorf("could not run `go build` in %s: %w", dir, err)
	}
	message := fmt.Sprintf("the Go program in %s does not build (`go build` exit code %d):\n%s",
		dir, exitErr.ExitCode(), strings.TrimRight(output, "\n"))
	if strings.Contains(output, "go.mod file not found") {
		return errors.New(message + "\n\nA Go program needs a module: run `go mod init <module name>` in its folder, " +
			"then `pulumi install`.")
	}
	for _, clue := range []string{"go.sum", "go mod tidy", "go mod download", "no required module provides"} {
		if strings.Contains(output, clue) {
			message += "\n\nRun `pulumi install` (which runs `go mod tidy`) to install the program's modules."
			break
		}
	}
	return errors.New(message)
}
