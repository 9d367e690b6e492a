package main

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/blang/semver"
	"github.com/polytomic-pulumi/toolchain/internal/langhost"
	gogen "github.com/pulumi/pulumi/pkg/v3/codegen/go"
	"github.com/pulumi/pulumi/pkg/v3/codegen/pcl"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/fsutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const toolName = "pulumi-language-go"

// GeneratePackage writes a Go SDK. A local SDK (`pulumi package add`, `gen-sdk --local`) is generated as a
// module of its own (SupportPack: a go.mod beside its packages), which Link then replaces into the program.
// Overlay files (req.ExtraFiles) are written over the generated ones.
func (h *host) GeneratePackage(_ context.Context, req *pulumirpc.GeneratePackageRequest) (
	*pulumirpc.GeneratePackageResponse, error,
) {
	return langhost.GeneratePackage(req, func(pkg *schema.Package, req *pulumirpc.GeneratePackageRequest,
		_ schema.ReferenceLoader,
	) (map[string][]byte, error) {
		if req.GetLocal() {
			pkg.SupportPack = true
		}
		if pkg.SupportPack && pkg.Version == nil {
			return nil, fmt.Errorf("the schema of package %s has no version: a Go SDK that is a module of its own "+
				"needs one (its pulumi-plugin.json names the plugin version); add \"version\" to the schema", pkg.Name)
		}
		files, err := gogen.GeneratePackage(toolName, pkg, req.GetLocalDependencies())
		if err != nil {
			return nil, err
		}
		for name, data := range req.GetExtraFiles() {
			files[name] = data
		}
		return files, nil
	})
}

func (h *host) GenerateProgram(_ context.Context, req *pulumirpc.GenerateProgramRequest) (
	*pulumirpc.GenerateProgramResponse, error,
) {
	return langhost.GenerateProgram(req, gogen.GenerateProgram)
}

func (h *host) GenerateProject(_ context.Context, req *pulumirpc.GenerateProjectRequest) (
	*pulumirpc.GenerateProjectResponse, error,
) {
	return langhost.GenerateProject(req, func(directory string, project workspace.Project, program *pcl.Program,
		localDependencies map[string]string,
	) error {
		if err := gogen.GenerateProject(directory, project, program, localDependencies); err != nil {
			return err
		}
		if _, local := localDependencies["pulumi"]; local {
			return nil
		}
		if project.Main != "" {
			directory = filepath.Join(directory, project.Main)
		}
		return requireHostSDK(directory)
	})
}

// sdkModulePath is the module of Pulumi's Go SDK.
const sdkModulePath = "github.com/pulumi/pulumi/sdk/v3"

// requireHostSDK raises a generated project's requirement of the Go SDK to the version this host was built
// against: codegen writes a fixed, years-old minimum (v3.30.0), which the `go mod tidy` that follows would
// otherwise download and build against.
func requireHostSDK(modDir string) error {
	hostVersion, err := semver.ParseTolerant(langhost.Version())
	if err != nil || hostVersion.Major != 3 {
		return nil // a development build names no release to require
	}
	gobin, err := findGo()
	if err != nil {
		return err
	}
	mod, err := readGoMod(gobin, modDir)
	if err != nil {
		return err
	}
	for _, r := range mod.Require {
		if r.Path != sdkModulePath {
			continue
		}
		if current, err := semver.ParseTolerant(r.Version); err == nil && current.GTE(hostVersion) {
			return nil
		}
		_, err := goCommand(gobin, modDir, "mod", "edit", "-require="+sdkModulePath+"@v"+hostVersion.String())
		return err
	}
	return nil
}

// sdkModule is a local Go SDK: its module path and the import path of its root package (the folder of its
// pulumi-plugin.json).
func sdkModule(gobin, dir string) (modulePath, importPath string, err error) {
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return "", "", fmt.Errorf("%s holds no Go module (no go.mod): generate it with `pulumi package add`, "+
			"or `pulumi package gen-sdk --language go --local`", dir)
	}
	mod, err := readGoMod(gobin, dir)
	if err != nil {
		return "", "", err
	}
	importPath = mod.Module.Path
	if found := pulumiPluginJSONPath(dir); found != "" {
		if rel, err := filepath.Rel(dir, filepath.Dir(found)); err == nil && rel != "." {
			importPath = path.Join(importPath, filepath.ToSlash(rel))
		}
	}
	return mod.Module.Path, importPath, nil
}

// replacementPath is how go.mod spells a folder relative to the module: with a leading ./ or ../.
func replacementPath(modDir, dir string) (string, error) {
	rel, err := filepath.Rel(modDir, dir)
	if err != nil {
		return "", err
	}
	rel = filepath.ToSlash(rel)
	if rel != ".." && !strings.HasPrefix(rel, "../") {
		rel = "./" + rel
	}
	return rel, nil
}

// Link makes local SDKs (what `pulumi package add` generated under sdks/) part of the program's module: a
// `replace` to the SDK's folder and a `require` of it in go.mod. The InstallDependencies that follows records
// the SDK's own dependencies.
func (h *host) Link(_ context.Context, req *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	if len(req.GetPackages()) == 0 {
		return &pulumirpc.LinkResponse{}, nil // `pulumi convert` links even when the program needs no SDK
	}
	program := langhost.ProgramFrom(req.GetInfo(), "")
	gobin, err := findGo()
	if err != nil {
		return nil, err
	}
	modDir, err := moduleDir(gobin, program.Directory)
	if err != nil {
		return nil, fmt.Errorf("linking an SDK needs the program's go.mod: %w", err)
	}
	edit := []string{"mod", "edit"}
	var imports []string
	for _, dependency := range req.GetPackages() {
		dir := dependency.GetPath()
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(program.Root, dir)
		}
		modulePath, importPath, err := sdkModule(gobin, dir)
		if err != nil {
			return nil, err
		}
		replacement, err := replacementPath(modDir, dir)
		if err != nil {
			return nil, err
		}
		edit = append(edit, "-replace="+modulePath+"="+replacement,
			"-require="+modulePath+"@"+replacedVersion(modulePath))
		imports = append(imports, fmt.Sprintf("%q", importPath))
	}
	if _, err := goCommand(gobin, modDir, edit...); err != nil {
		return nil, err
	}
	return &pulumirpc.LinkResponse{ImportInstructions: "You can import the SDK in your Go code with:\n\n" +
		"  import " + strings.Join(imports, "\n  import ") + "\n"}, nil
}

// Pack makes a Go SDK an artifact: Go modules are shared as source, so this is a copy of the SDK's folder,
// named after its module path (as Pulumi's own Go host names it).
func (h *host) Pack(_ context.Context, req *pulumirpc.PackRequest) (*pulumirpc.PackResponse, error) {
	gobin, err := findGo()
	if err != nil {
		return nil, err
	}
	dir := req.GetPackageDirectory()
	modulePath, _, err := sdkModule(gobin, dir)
	if err != nil {
		return nil, err
	}
	artifact := filepath.Join(req.GetDestinationDirectory(), strings.ReplaceAll(modulePath, "/", "_"))
	if err := os.RemoveAll(artifact); err != nil {
		return nil, err
	}
	if err := fsutil.CopyFile(artifact, dir, nil); err != nil {
		return nil, fmt.Errorf("could not copy %s to %s: %w", dir, artifact, err)
	}
	return &pulumirpc.PackResponse{ArtifactPath: artifact}, nil
}
