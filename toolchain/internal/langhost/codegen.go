package langhost

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/pulumi/pulumi/pkg/v3/codegen/hcl2/syntax"
	"github.com/pulumi/pulumi/pkg/v3/codegen/pcl"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// The language-specific halves of code generation, each a thin call into pkg/v3/codegen/<language>.
type (
	// PackageGenerator writes an SDK for a bound package schema: file name to contents.
	PackageGenerator func(pkg *schema.Package, req *pulumirpc.GeneratePackageRequest,
		loader schema.ReferenceLoader) (map[string][]byte, error)
	// ProgramGenerator writes a program (no project files) from a bound PCL program.
	ProgramGenerator func(program *pcl.Program) (map[string][]byte, hcl.Diagnostics, error)
	// ProjectGenerator writes a runnable project (program and project files) into a directory.
	ProjectGenerator func(directory string, project workspace.Project, program *pcl.Program,
		localDependencies map[string]string) error
)

// Loader connects to the schema loader the engine serves for code generation.
func Loader(target string) (schema.ReferenceLoader, error) {
	if target == "" {
		return nil, errors.New("the engine sent no schema loader address")
	}
	client, err := schema.NewLoaderClient(target)
	if err != nil {
		return nil, fmt.Errorf("could not reach the engine's schema loader at %s: %w", target, err)
	}
	return schema.NewCachedLoader(client), nil
}

// GeneratePackage answers `pulumi package gen-sdk` and `pulumi package add`: bind the schema, generate, write.
func GeneratePackage(req *pulumirpc.GeneratePackageRequest, generate PackageGenerator) (
	*pulumirpc.GeneratePackageResponse, error,
) {
	loader, err := Loader(req.LoaderTarget)
	if err != nil {
		return nil, err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(req.Schema), &spec); err != nil {
		return nil, fmt.Errorf("the package schema is not valid JSON: %w", err)
	}
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() {
		return &pulumirpc.GeneratePackageResponse{Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags)}, nil
	}
	files, err := generate(pkg, req, loader)
	if err != nil {
		return nil, err
	}
	if err := WriteFiles(req.Directory, files); err != nil {
		return nil, err
	}
	return &pulumirpc.GeneratePackageResponse{Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags)}, nil
}

func bindOptions(strict bool) []pcl.BindOption {
	options := []pcl.BindOption{pcl.PreferOutputVersionedInvokes}
	if !strict {
		options = append(options, pcl.NonStrictBindOptions()...)
	}
	return options
}

// GenerateProgram answers `pulumi import --generate-code` and `pulumi convert`: the PCL source the engine sends,
// bound against the engine's schemas and written in the host's language.
func GenerateProgram(req *pulumirpc.GenerateProgramRequest, generate ProgramGenerator) (
	*pulumirpc.GenerateProgramResponse, error,
) {
	loader, err := Loader(req.LoaderTarget)
	if err != nil {
		return nil, err
	}
	parser := syntax.NewParser()
	for name, source := range req.Source {
		if err := parser.ParseFile(strings.NewReader(source), name); err != nil {
			return nil, err
		}
	}
	if parser.Diagnostics.HasErrors() {
		return &pulumirpc.GenerateProgramResponse{
			Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(parser.Diagnostics),
		}, nil
	}
	program, diags, err := pcl.BindProgram(parser.Files, loader, bindOptions(req.Strict)...)
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() || program == nil {
		return &pulumirpc.GenerateProgramResponse{Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags)}, nil
	}
	files, genDiags, err := generate(program)
	if err != nil {
		return nil, err
	}
	diags = append(diags, genDiags...)
	return &pulumirpc.GenerateProgramResponse{
		Source:      files,
		Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags),
	}, nil
}

// GenerateProject answers `pulumi convert` (and `pulumi new` from a PCL template): a whole runnable project.
func GenerateProject(req *pulumirpc.GenerateProjectRequest, generate ProjectGenerator) (
	*pulumirpc.GenerateProjectResponse, error,
) {
	loader, err := Loader(req.LoaderTarget)
	if err != nil {
		return nil, err
	}
	program, diags, err := pcl.BindDirectory(req.SourceDirectory, loader, bindOptions(req.Strict)...)
	if err != nil {
		return nil, err
	}
	if diags.HasErrors() || program == nil {
		return &pulumirpc.GenerateProjectResponse{Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags)}, nil
	}
	var project workspace.Project
	if err := json.Unmarshal([]byte(req.Project), &project); err != nil {
		return nil, fmt.Errorf("the project the engine sent is not valid JSON: %w", err)
	}
	if err := generate(req.TargetDirectory, project, program, req.LocalDependencies); err != nil {
		return nil, err
	}
	return &pulumirpc.GenerateProjectResponse{Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags)}, nil
}

// WriteFiles writes generated files (relative names) under dir, creating folders as needed.
func WriteFiles(dir string, files map[string][]byte) error {
	for name, data := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil { //nolint:gosec // generated source, as any checkout
			return err
		}
	}
	return nil
}
