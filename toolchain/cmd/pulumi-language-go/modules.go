package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/polytomic-pulumi/toolchain/internal/langhost"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// goMod is the part of a go.mod the host reads, as `go mod edit -json` prints it.
type goMod struct {
	Module  struct{ Path string }
	Require []struct {
		Path     string
		Version  string
		Indirect bool
	}
	Replace []struct {
		Old, New struct{ Path, Version string }
	}
}

// errNoModule is a program that is not in a Go module (no go.mod in its folder or above).
var errNoModule = errors.New("no go.mod")

// goCommand runs go with args in dir and returns its stdout; stderr becomes the error.
func goCommand(gobin, dir string, args ...string) ([]byte, error) {
	cmd := exec.Command(gobin, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := langhost.Output(cmd)
	if err != nil {
		return out, fmt.Errorf("go %s in %s: %w\n%s", strings.Join(args, " "), dir, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// moduleDir is the folder of the go.mod that governs a program in dir, as go itself finds it.
func moduleDir(gobin, dir string) (string, error) {
	out, err := goCommand(gobin, dir, "env", "GOMOD")
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("%w in %s or above: a Go program needs a module (`go mod init`)", errNoModule, dir)
	}
	return filepath.Dir(gomod), nil
}

// readGoMod reads the go.mod in modDir (named, so that go does not look for one in the folders above).
func readGoMod(gobin, modDir string) (goMod, error) {
	var mod goMod
	out, err := goCommand(gobin, modDir, "mod", "edit", "-json", "go.mod")
	if err != nil {
		return mod, err
	}
	err = json.Unmarshal(out, &mod)
	return mod, err
}

// module is one module as `go list -m -json` and `go mod download -json` print it.
type module struct {
	Path    string
	Version string
	Dir     string // where its source is, if it is on disk (a replacement's folder for a replaced module)
}

// decodeModules reads the stream of JSON objects go prints for modules.
func decodeModules(data []byte) ([]module, error) {
	var modules []module
	decoder := json.NewDecoder(bytes.NewReader(data))
	for {
		var m module
		if err := decoder.Decode(&m); errors.Is(err, io.EOF) {
			return modules, nil
		} else if err != nil {
			return modules, err
		}
		modules = append(modules, m)
	}
}

// requiredModules are the modules the program's go.mod requires, with their source folders: from the module
// cache, a local replacement, vendor/, or downloaded when missing. Since Go 1.17 a tidy go.mod lists every
// module that provides a package the program builds, so these are all the SDKs it can use.
func requiredModules(gobin, modDir string) ([]module, error) {
	mod, err := readGoMod(gobin, modDir)
	if err != nil || len(mod.Require) == 0 {
		return nil, err
	}
	args := []string{"list", "-m", "-e", "-json"}
	for _, r := range mod.Require {
		args = append(args, r.Path)
	}
	out, err := goCommand(gobin, modDir, args...)
	if err != nil {
		return nil, err
	}
	modules, err := decodeModules(out)
	if err != nil {
		return nil, fmt.Errorf("could not read `go list -m -json`: %w", err)
	}
	var missing []string
	for i, m := range modules {
		if m.Dir != "" {
			continue
		}
		vendored := filepath.Join(modDir, "vendor", filepath.FromSlash(m.Path))
		if _, err := os.Stat(vendored); err == nil {
			modules[i].Dir = vendored
		} else {
			missing = append(missing, m.Path)
		}
	}
	if len(missing) > 0 {
		// Errors are per module in the JSON: a module that cannot be downloaded is left out, not fatal.
		out, _ := goCommand(gobin, modDir, append([]string{"mod", "download", "-json"}, missing...)...)
		downloaded, _ := decodeModules(out)
		dirs := map[string]string{}
		for _, d := range downloaded {
			dirs[d.Path] = d.Dir
		}
		for i, m := range modules {
			if m.Dir == "" {
				modules[i].Dir = dirs[m.Path]
			}
		}
	}
	return modules, nil
}

// findPulumiPluginJSON finds the pulumi-plugin.json of a Go SDK module in dir. Generated SDKs put it beside
// their root package: at the module root, under go/ (SDKs whose module is the repository's sdk/ folder), or
// one package folder down (go/<name>/ or <name>/).
func findPulumiPluginJSON(dir string) (*plugin.PulumiPluginJSON, error) {
	path := pulumiPluginJSONPath(dir)
	if path == "" {
		return nil, nil
	}
	meta, err := plugin.LoadPulumiPluginJSON(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return meta, nil
}

// pulumiPluginJSONPath is where findPulumiPluginJSON reads, "" when a module has no pulumi-plugin.json.
func pulumiPluginJSONPath(dir string) string {
	candidates := []string{filepath.Join(dir, "pulumi-plugin.json"), filepath.Join(dir, "go", "pulumi-plugin.json")}
	for _, pattern := range []string{filepath.Join(dir, "go", "*", "pulumi-plugin.json"), filepath.Join(dir, "*", "pulumi-plugin.json")} {
		matches, _ := filepath.Glob(pattern)
		candidates = append(candidates, matches...)
	}
	for _, path := range candidates {
		if info, err := os.Stat(path); err == nil && !info.IsDir() {
			return path
		}
	}
	return ""
}

// providerSDKPath matches Pulumi's own provider SDKs (github.com/pulumi/pulumi-aws/sdk/v6), which before
// pulumi-plugin.json existed named their plugin only by their path.
var providerSDKPath = regexp.MustCompile(`^github\.com/pulumi/pulumi-([a-z0-9-]+)/sdk(/|$)`)

// pseudoVersion is a Go pseudo-version's tail: a timestamp and a commit, after "-" (no release before it) or
// "." (after "vX.Y.(Z+1)-0" or "vX.Y.Z-pre.0").
var pseudoVersion = regexp.MustCompile(`^(.*)([-.])\d{14}-[0-9a-f]{12}$`)

// pluginVersion makes a module version a plugin version: without "v", and a pseudo-version (an untagged
// commit) becomes the release it follows, so that the engine asks for a plugin that exists. "" when there is
// none (an untagged module, a local replacement).
func pluginVersion(version string) string {
	version = strings.TrimPrefix(strings.TrimSpace(version), "v")
	if m := pseudoVersion.FindStringSubmatch(version); m != nil {
		base := m[1]
		switch {
		case m[2] == "-": // vX.0.0-timestamp-commit: no tag before this commit
			return ""
		case strings.HasSuffix(base, "-0"): // vX.Y.(Z+1)-0.timestamp-commit follows vX.Y.Z
			var major, minor, patch int
			if _, err := fmt.Sscanf(strings.TrimSuffix(base, "-0"), "%d.%d.%d", &major, &minor, &patch); err != nil {
				return ""
			}
			if patch > 0 {
				patch--
			}
			version = fmt.Sprintf("%d.%d.%d", major, minor, patch)
		default: // vX.Y.Z-pre.0.timestamp-commit follows vX.Y.Z-pre
			version = strings.TrimSuffix(base, ".0")
		}
	}
	return langhost.PluginVersion(version)
}

// packageFor is the Pulumi package a module is, if it is one: what its pulumi-plugin.json says, or for an old
// Pulumi provider SDK without one, what its path says.
func packageFor(m module, meta *plugin.PulumiPluginJSON) (*pulumirpc.PackageDependency, bool) {
	if meta == nil {
		found := providerSDKPath.FindStringSubmatch(m.Path)
		if found == nil {
			return nil, false
		}
		meta = &plugin.PulumiPluginJSON{Resource: true, Name: found[1]}
	}
	if !meta.Resource {
		return nil, false
	}
	dependency := &pulumirpc.PackageDependency{
		Kind:    "resource",
		Name:    meta.Name,
		Version: pluginVersion(meta.Version),
		Server:  meta.Server,
	}
	if dependency.Name == "" {
		if found := providerSDKPath.FindStringSubmatch(m.Path); found != nil {
			dependency.Name = found[1]
		} else {
			return nil, false
		}
	}
	if dependency.Version == "" && meta.Parameterization == nil && meta.ExtensionParameterization == nil {
		dependency.Version = pluginVersion(m.Version)
	}
	if p := meta.Parameterization; p != nil {
		dependency.Parameterization = &pulumirpc.PackageParameterization{
			Name: p.Name, Version: pluginVersion(p.Version), Value: p.Value,
		}
	}
	if p := meta.ExtensionParameterization; p != nil {
		dependency.Extension = &pulumirpc.PackageParameterization{
			Name: p.Name, Version: pluginVersion(p.Version), Value: p.Value,
		}
	}
	return dependency, true
}

// programPackages are the Pulumi packages among the modules a program requires, for the engine to load.
func programPackages(dir string) ([]*pulumirpc.PackageDependency, error) {
	packages := []*pulumirpc.PackageDependency{}
	gobin, err := findGo()
	if err != nil {
		return packages, err
	}
	modDir, err := moduleDir(gobin, dir)
	if errors.Is(err, errNoModule) {
		return packages, nil // Run says what is missing
	} else if err != nil {
		return packages, err
	}
	modules, err := requiredModules(gobin, modDir)
	if err != nil {
		return packages, err
	}
	seen := map[string]bool{}
	for _, m := range modules {
		if m.Dir == "" {
			continue
		}
		meta, err := findPulumiPluginJSON(m.Dir)
		if err != nil {
			return packages, fmt.Errorf("module %s: %w", m.Path, err)
		}
		dependency, ok := packageFor(m, meta)
		if !ok {
			continue
		}
		key := dependency.Name + "@" + dependency.Version
		if p := dependency.Parameterization; p != nil {
			key += "/" + p.Name + "@" + p.Version
		}
		if p := dependency.Extension; p != nil {
			key += "+" + p.Name + "@" + p.Version
		}
		if !seen[key] {
			seen[key] = true
			packages = append(packages, dependency)
		}
	}
	sort.SliceStable(packages, func(i, j int) bool { return packages[i].Name < packages[j].Name })
	return packages, nil
}

func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (
	*pulumirpc.GetRequiredPackagesResponse, error,
) {
	packages, err := programPackages(langhost.ProgramFrom(req.GetInfo(), "").Directory)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

// GetRequiredPlugins is the older form of GetRequiredPackages: parameterized packages have no plugin of their
// own to name, so they are left out.
func (h *host) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest) (
	*pulumirpc.GetRequiredPluginsResponse, error,
) {
	packages, err := programPackages(langhost.ProgramFrom(req.GetInfo(), req.GetProgram()).Directory) //nolint:staticcheck
	if err != nil {
		return nil, err
	}
	return langhost.PluginsOf(packages), nil
}

// programDependencies are what `pulumi about` lists: the go.mod's direct requirements (all of them with
// transitive), a locally replaced one with the folder that replaces it.
func programDependencies(mod goMod, transitive bool) []*pulumirpc.DependencyInfo {
	local := localReplacements(mod)
	dependencies := []*pulumirpc.DependencyInfo{}
	for _, r := range mod.Require {
		if r.Indirect && !transitive {
			continue
		}
		version := r.Version
		if dir, ok := local[r.Path]; ok {
			version = dir
		}
		dependencies = append(dependencies, &pulumirpc.DependencyInfo{Name: r.Path, Version: version})
	}
	return dependencies
}

func (h *host) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest) (
	*pulumirpc.GetProgramDependenciesResponse, error,
) {
	gobin, err := findGo()
	if err != nil {
		return nil, err
	}
	modDir, err := moduleDir(gobin, langhost.ProgramFrom(req.GetInfo(), req.GetPwd()).Directory)
	if err != nil {
		return nil, err
	}
	mod, err := readGoMod(gobin, modDir)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetProgramDependenciesResponse{
		Dependencies: programDependencies(mod, req.GetTransitiveDependencies()),
	}, nil
}

// isLocalPath says whether a replacement is a folder rather than another module (what `go mod edit` decides
// the same way).
func isLocalPath(path string) bool {
	return filepath.IsAbs(path) || strings.HasPrefix(path, "./") || strings.HasPrefix(path, "../") ||
		path == "." || path == ".."
}

// localReplacements are the modules the go.mod replaces with a folder (`pulumi package add`'s SDKs), whatever
// their version: module path to folder.
func localReplacements(mod goMod) map[string]string {
	local := map[string]string{}
	for _, r := range mod.Replace {
		if r.Old.Version == "" && isLocalPath(r.New.Path) {
			local[r.Old.Path] = r.New.Path
		}
	}
	return local
}

// majorSuffix matches a module path's major version suffix (/v2 and up).
var majorSuffix = regexp.MustCompile(`/v([2-9]|[1-9][0-9]+)$`)

// replacedVersion is the version to require a locally replaced module at: the zero pseudo-version `go mod tidy`
// itself writes for one, of the major version its path says.
func replacedVersion(modulePath string) string {
	major := "0"
	if m := majorSuffix.FindStringSubmatch(modulePath); m != nil {
		major = m[1]
	}
	return "v" + major + ".0.0-00010101000000-000000000000"
}

// unrequiredLocalModules are the locally replaced modules the go.mod no longer requires: `go mod tidy` drops
// an SDK `pulumi package add` linked until the program imports it.
func unrequiredLocalModules(mod goMod) []string {
	required := map[string]bool{}
	for _, r := range mod.Require {
		required[r.Path] = true
	}
	var missing []string
	for path := range localReplacements(mod) {
		if !required[path] {
			missing = append(missing, path)
		}
	}
	sort.Strings(missing)
	return missing
}

// InstallDependencies runs `go mod tidy` for the program (or plugin), streaming its output to the engine. Local
// SDKs that tidy drops because nothing imports them yet are required again with `go get` (which records their
// dependencies' checksums), so that a program can import an SDK right after `pulumi package add`.
func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	program := langhost.ProgramFrom(req.GetInfo(), req.GetDirectory()) //nolint:staticcheck
	gobin, err := findGo()
	if err != nil {
		return err
	}
	modDir, err := moduleDir(gobin, program.Directory)
	if errors.Is(err, errNoModule) {
		return nil // nothing to install
	} else if err != nil {
		return err
	}
	sink := langhost.InstallSink(server)
	run := func(args ...string) error {
		if err := sink([]byte("$ go "+strings.Join(args, " ")+"\n"), nil); err != nil {
			return err
		}
		cmd := exec.Command(gobin, args...)
		cmd.Dir = modDir
		if err := langhost.StreamCommand(cmd, sink); err != nil {
			return fmt.Errorf("go %s failed in %s: %w", strings.Join(args, " "), modDir, err)
		}
		return nil
	}
	if err := run("mod", "tidy"); err != nil {
		return err
	}
	mod, err := readGoMod(gobin, modDir)
	if err != nil {
		return err
	}
	if missing := unrequiredLocalModules(mod); len(missing) > 0 {
		args := []string{"get"}
		for _, path := range missing {
			args = append(args, path+"@"+replacedVersion(path))
		}
		return run(args...)
	}
	return nil
}
