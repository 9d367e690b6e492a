package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/polytomic-pulumi/toolchain/internal/langhost"
	"github.com/pulumi/pulumi/pkg/v3/codegen/pcl"
	"github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const toolName = "pulumi-language-python"

func (h *host) GeneratePackage(_ context.Context, req *pulumirpc.GeneratePackageRequest) (
	*pulumirpc.GeneratePackageResponse, error,
) {
	return langhost.GeneratePackage(req, func(pkg *schema.Package, req *pulumirpc.GeneratePackageRequest,
		loader schema.ReferenceLoader,
	) (map[string][]byte, error) {
		return python.GeneratePackage(toolName, pkg, req.GetExtraFiles(), loader)
	})
}

func (h *host) GenerateProgram(_ context.Context, req *pulumirpc.GenerateProgramRequest) (
	*pulumirpc.GenerateProgramResponse, error,
) {
	return langhost.GenerateProgram(req, python.GenerateProgram)
}

func (h *host) GenerateProject(_ context.Context, req *pulumirpc.GenerateProjectRequest) (
	*pulumirpc.GenerateProjectResponse, error,
) {
	return langhost.GenerateProject(req, func(directory string, project workspace.Project, program *pcl.Program,
		localDependencies map[string]string,
	) error {
		options := project.Runtime.Options()
		typechecker, _ := options["typechecker"].(string)
		toolchain, _ := options["toolchain"].(string)
		return python.GenerateProject(directory, project, program, localDependencies, typechecker, toolchain)
	})
}

// Link adds local SDKs (what `pulumi package add` generated under sdks/) to the program's requirements.txt,
// which the InstallDependencies that follows installs into its virtualenv.
func (h *host) Link(_ context.Context, req *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	program := langhost.ProgramFrom(req.GetInfo(), "")
	if toolchain := program.Option("toolchain"); toolchain != "" && toolchain != "pip" {
		return nil, fmt.Errorf("linking a local SDK needs `toolchain: pip` in Pulumi.yaml (found %q): "+
			"add the SDK folder to your project's dependencies yourself", toolchain)
	}
	requirements := filepath.Join(program.Directory, "requirements.txt")
	existing, err := os.ReadFile(requirements)
	if err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(string(existing), "\n"), "\n")
	var instructions strings.Builder
	instructions.WriteString("You can then import the SDK in your Python code with:\n")
	for _, dependency := range req.GetPackages() {
		sdk := filepath.Join(program.Root, dependency.GetPath())
		relative, err := filepath.Rel(program.Directory, sdk)
		if err != nil {
			return nil, err
		}
		line := "./" + filepath.ToSlash(relative)
		if !containsLine(lines, line) {
			lines = append(lines, line)
		}
		module, err := importName(sdk)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&instructions, "\n  import %s as %s\n", module, strings.TrimPrefix(module, "pulumi_"))
	}
	content := strings.TrimLeft(strings.Join(lines, "\n"), "\n") + "\n"
	if err := os.WriteFile(requirements, []byte(content), 0o644); err != nil { //nolint:gosec // a project file
		return nil, err
	}
	return &pulumirpc.LinkResponse{ImportInstructions: instructions.String()}, nil
}

func containsLine(lines []string, line string) bool {
	for _, existing := range lines {
		if strings.TrimSpace(existing) == line {
			return true
		}
	}
	return false
}

// importName is the Python package of a generated SDK: the folder that holds its pulumi-plugin.json.
func importName(sdk string) (string, error) {
	matches, err := filepath.Glob(filepath.Join(sdk, "*", "pulumi-plugin.json"))
	if err != nil || len(matches) == 0 {
		return "", fmt.Errorf("%s holds no Python SDK (no <package>/pulumi-plugin.json)", sdk)
	}
	return filepath.Base(filepath.Dir(matches[0])), nil
}

// Pack builds a generated SDK into a wheel with `python -m build` (the `build` package must be installed in
// the Python that runs it).
func (h *host) Pack(_ context.Context, req *pulumirpc.PackRequest) (*pulumirpc.PackResponse, error) {
	python, err := interpreterFor(langhost.Program{})
	if err != nil {
		return nil, err
	}
	destination := req.GetDestinationDirectory()
	before, _ := filepath.Glob(filepath.Join(destination, "*.whl"))
	cmd := python.command(req.GetPackageDirectory(), "-m", "build", "--wheel", "--outdir", destination, ".")
	var output strings.Builder
	if err := langhost.StreamCommand(cmd, func(stdout, stderr []byte) error {
		output.Write(stdout)
		output.Write(stderr)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("python -m build failed (is the `build` package installed?): %w\n%s", err, output.String())
	}
	after, _ := filepath.Glob(filepath.Join(destination, "*.whl"))
	made := slices.DeleteFunc(after, func(wheel string) bool { return slices.Contains(before, wheel) })
	if len(made) != 1 {
		return nil, fmt.Errorf("python -m build left %d new wheels in %s, not one", len(made), destination)
	}
	return &pulumirpc.PackResponse{ArtifactPath: made[0]}, nil
}
