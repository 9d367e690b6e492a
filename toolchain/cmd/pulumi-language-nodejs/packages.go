package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/polytomic-pulumi/toolchain/internal/langhost"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// packageJSON is the part of a package.json the host reads.
type packageJSON struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	Main            string            `json:"main"`
	Type            string            `json:"type"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	Pulumi          *pulumiSection    `json:"pulumi"`
}

// pulumiSection is how a Pulumi SDK on npm says which provider plugin it needs (the `pulumi` key of its
// package.json, the same content as other languages' pulumi-plugin.json).
type pulumiSection struct {
	Resource          bool   `json:"resource"`
	Name              string `json:"name"`
	Version           string `json:"version"`
	Server            string `json:"server"`
	PluginDownloadURL string `json:"pluginDownloadURL"` // what SDKs generated before `server` wrote
	Parameterization  *struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		Value   []byte `json:"value"`
	} `json:"parameterization"`
}

func readPackageJSON(dir string) (packageJSON, error) {
	var pkg packageJSON
	data, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return pkg, err
	}
	err = json.Unmarshal(data, &pkg)
	return pkg, err
}

// installedPackage is one package found in a node_modules folder.
type installedPackage struct {
	dir  string
	meta packageJSON
}

// nodeModulesFolders are the node_modules folders Node.js looks in for a program in dir: dir's own and every
// ancestor's (hoisted workspaces keep dependencies above the program).
func nodeModulesFolders(dir string) []string {
	var folders []string
	for dir != "" {
		candidate := filepath.Join(dir, "node_modules")
		if info, err := os.Stat(candidate); err == nil && info.IsDir() {
			folders = append(folders, candidate)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return folders
}

// installedPackages lists every package installed for a program in dir, nested node_modules included, following
// symlinks (npm links `file:` dependencies such as a local SDK; pnpm links everything) and visiting each real
// folder once.
func installedPackages(dir string) []installedPackage {
	var found []installedPackage
	seen := map[string]bool{}
	var walk func(nodeModules string)
	visit := func(pkgDir string) {
		real, err := filepath.EvalSymlinks(pkgDir)
		if err != nil || seen[real] {
			return
		}
		seen[real] = true
		meta, err := readPackageJSON(pkgDir)
		if err != nil {
			return
		}
		found = append(found, installedPackage{dir: pkgDir, meta: meta})
		walk(filepath.Join(pkgDir, "node_modules"))
	}
	walk = func(nodeModules string) {
		real, err := filepath.EvalSymlinks(nodeModules)
		if err != nil || seen[real] {
			return
		}
		seen[real] = true
		entries, err := os.ReadDir(nodeModules)
		if err != nil {
			return
		}
		for _, entry := range entries {
			name := entry.Name()
			switch {
			case strings.HasPrefix(name, "."): // .bin, .package-lock.json, .pnpm's store
			case strings.HasPrefix(name, "@"):
				scoped, _ := os.ReadDir(filepath.Join(nodeModules, name))
				for _, s := range scoped {
					visit(filepath.Join(nodeModules, name, s.Name()))
				}
			default:
				visit(filepath.Join(nodeModules, name))
			}
		}
	}
	for _, folder := range nodeModulesFolders(dir) {
		walk(folder)
	}
	return found
}

// cleanVersion makes a package.json version what the engine expects (see langhost.PluginVersion).
func cleanVersion(version string) string { return langhost.PluginVersion(version) }

// pluginName is the plugin a Pulumi SDK needs when its `pulumi` section does not name it: @pulumi/aws and
// pulumi-aws both need "aws".
func pluginName(packageName string) string {
	name := packageName
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	return strings.TrimPrefix(name, "pulumi-")
}

// requiredPackages are the Pulumi packages among the installed ones, for the engine to install and load.
func requiredPackages(installed []installedPackage) []*pulumirpc.PackageDependency {
	packages := []*pulumirpc.PackageDependency{}
	seen := map[string]bool{}
	for _, p := range installed {
		section := p.meta.Pulumi
		if section == nil || !section.Resource {
			continue
		}
		dependency := &pulumirpc.PackageDependency{
			Kind:    "resource",
			Name:    section.Name,
			Version: cleanVersion(section.Version),
			Server:  section.Server,
		}
		if dependency.Name == "" {
			dependency.Name = pluginName(p.meta.Name)
		}
		if dependency.Version == "" && section.Parameterization == nil {
			dependency.Version = cleanVersion(p.meta.Version)
		}
		if dependency.Server == "" {
			dependency.Server = section.PluginDownloadURL
		}
		key := dependency.Name + "@" + dependency.Version
		if param := section.Parameterization; param != nil {
			dependency.Parameterization = &pulumirpc.PackageParameterization{
				Name: param.Name, Version: cleanVersion(param.Version), Value: param.Value,
			}
			key += "/" + param.Name + "@" + param.Version
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		packages = append(packages, dependency)
	}
	sort.SliceStable(packages, func(i, j int) bool { return packages[i].Name < packages[j].Name })
	return packages
}

func programPackages(info *pulumirpc.ProgramInfo) []*pulumirpc.PackageDependency {
	program := langhost.ProgramFrom(info, "")
	// Nothing installed yet is no error here: Run says how to install it.
	return requiredPackages(installedPackages(program.Directory))
}

func (h *host) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest) (
	*pulumirpc.GetRequiredPackagesResponse, error,
) {
	return &pulumirpc.GetRequiredPackagesResponse{Packages: programPackages(req.GetInfo())}, nil
}

// GetRequiredPlugins is the older form of GetRequiredPackages: parameterized packages have no plugin of their
// own to name, so they are left out.
func (h *host) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest) (
	*pulumirpc.GetRequiredPluginsResponse, error,
) {
	return langhost.PluginsOf(programPackages(req.GetInfo())), nil
}

// programDependencies are what `pulumi about` lists: the program's declared dependencies with the version
// installed (the declared range when none is), or with transitive, everything installed.
func programDependencies(manifest packageJSON, installed []installedPackage, transitive bool) []*pulumirpc.DependencyInfo {
	versions := map[string]string{}
	for _, p := range installed {
		if _, ok := versions[p.meta.Name]; !ok && p.meta.Name != "" {
			versions[p.meta.Name] = p.meta.Version
		}
	}
	dependencies := []*pulumirpc.DependencyInfo{}
	if transitive {
		for name, version := range versions {
			dependencies = append(dependencies, &pulumirpc.DependencyInfo{Name: name, Version: version})
		}
	} else {
		for _, declared := range []map[string]string{manifest.Dependencies, manifest.DevDependencies} {
			for name, want := range declared {
				version, ok := versions[name]
				if !ok {
					version = want
				}
				dependencies = append(dependencies, &pulumirpc.DependencyInfo{Name: name, Version: version})
			}
		}
	}
	sort.Slice(dependencies, func(i, j int) bool { return dependencies[i].Name < dependencies[j].Name })
	return dependencies
}

// manifestDir is the folder of the package.json that governs a program: the nearest one from its directory up
// to the project root.
func manifestDir(program langhost.Program) string {
	for dir := program.Directory; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "package.json")); err == nil {
			return dir
		}
		if dir == program.Root || filepath.Dir(dir) == dir || program.Root == "" {
			return program.Directory
		}
	}
}

func (h *host) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest) (
	*pulumirpc.GetProgramDependenciesResponse, error,
) {
	program := langhost.ProgramFrom(req.GetInfo(), req.GetPwd())
	dir := manifestDir(program)
	manifest, err := readPackageJSON(dir)
	if err != nil {
		return nil, err
	}
	dependencies := programDependencies(manifest, installedPackages(dir), req.GetTransitiveDependencies())
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: dependencies}, nil
}
