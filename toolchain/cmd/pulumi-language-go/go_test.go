package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/polytomic-pulumi/toolchain/internal/langhost"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

func programWith(t *testing.T, dir string, options map[string]any) langhost.Program {
	t.Helper()
	opts, err := structpb.NewStruct(options)
	if err != nil {
		t.Fatal(err)
	}
	return langhost.ProgramFrom(&pulumirpc.ProgramInfo{
		RootDirectory: dir, ProgramDirectory: dir, EntryPoint: ".", Options: opts,
	}, "")
}

func TestRunEnvSetsEveryVariableTheGoSDKReads(t *testing.T) {
	req := &pulumirpc.RunRequest{
		MonitorAddress: "127.0.0.1:1", Project: "p", Stack: "s", Organization: "o", DryRun: true, Parallel: 8,
		Config: map[string]string{"p:name": "world"}, ConfigSecretKeys: []string{"p:token"},
	}
	env, err := runEnv(req, programWith(t, "/root/project", nil), "127.0.0.1:2")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"PULUMI_MONITOR=127.0.0.1:1", "PULUMI_ENGINE=127.0.0.1:2", "PULUMI_PROJECT=p", "PULUMI_STACK=s",
		"PULUMI_ORGANIZATION=o", "PULUMI_ROOT_DIRECTORY=/root/project", "PULUMI_DRY_RUN=true", "PULUMI_PARALLEL=8",
		`PULUMI_CONFIG={"p:name":"world"}`, `PULUMI_CONFIG_SECRET_KEYS=["p:token"]`,
	} {
		if !slices.Contains(env, want) {
			t.Errorf("missing %s in %v", want, env)
		}
	}
}

func TestRunEnvOverridesWhatTheShellLeftBehind(t *testing.T) {
	env, err := runEnv(&pulumirpc.RunRequest{Stack: "dev"}, programWith(t, "/p", nil), "e")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(env, "PULUMI_ORGANIZATION=") || !slices.Contains(env, "PULUMI_DRY_RUN=false") {
		t.Fatalf("unset values must still be set, empty: %v", env)
	}
}

func TestOptionsResolveAgainstTheProgramDirectory(t *testing.T) {
	dir := t.TempDir()
	options, err := optionsFrom(programWith(t, dir, map[string]any{"buildTarget": "bin/app"}))
	if err != nil || options.buildTarget != filepath.Join(dir, "bin/app") || options.binary != "" {
		t.Fatalf("buildTarget: %+v, %v", options, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "prebuilt"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	options, err = optionsFrom(programWith(t, dir, map[string]any{"binary": "prebuilt"}))
	if err != nil || options.binary != filepath.Join(dir, "prebuilt") {
		t.Fatalf("binary in the program folder: %+v, %v", options, err)
	}
	options, err = optionsFrom(programWith(t, dir, map[string]any{"binary": "sh"}))
	if err != nil || !filepath.IsAbs(options.binary) {
		t.Fatalf("binary on PATH: %+v, %v", options, err)
	}
}

func TestOptionsRefuseBothOrAMissingBinary(t *testing.T) {
	dir := t.TempDir()
	_, err := optionsFrom(programWith(t, dir, map[string]any{"binary": "a", "buildTarget": "b"}))
	if err == nil || !strings.Contains(err.Error(), "cannot both be set") {
		t.Fatalf("both: %v", err)
	}
	_, err = optionsFrom(programWith(t, dir, map[string]any{"binary": "no-such-program-anywhere"}))
	if err == nil || !strings.Contains(err.Error(), "no-such-program-anywhere") {
		t.Fatalf("missing: %v", err)
	}
}

func TestBuildPackageFollowsTheEntryPoint(t *testing.T) {
	for entry, want := range map[string]string{"": ".", ".": ".", "cmd/app": "./cmd/app", "./x/": "./x"} {
		if got := buildPackage(langhost.Program{EntryPoint: entry}); got != want {
			t.Errorf("entry %q: %q, want %q", entry, got, want)
		}
	}
}

func TestBuildErrorShowsTheCompilerAndHintsAtInstall(t *testing.T) {
	exitErr := exec.Command("sh", "-c", "exit 1").Run()
	err := buildError("/p", "./main.go:3:1: undefined: x\n", exitErr)
	if !strings.Contains(err.Error(), "undefined: x") || strings.Contains(err.Error(), "pulumi install") {
		t.Fatalf("compile error: %v", err)
	}
	err = buildError("/p", "main.go:4:2: missing go.sum entry for module providing package x\n", exitErr)
	if !strings.Contains(err.Error(), "pulumi install") {
		t.Fatalf("missing modules: %v", err)
	}
	if err := buildError("/p", "", errors.New("no go")); !strings.Contains(err.Error(), "could not run") {
		t.Fatalf("not run: %v", err)
	}
}

func TestPluginVersionTurnsModuleVersionsIntoReleases(t *testing.T) {
	for version, want := range map[string]string{
		"v6.1.0":                                "6.1.0",
		"0.3.0":                                 "0.3.0",
		"v1.29.1-0.20200403140640-efb5e2a48a86": "1.29.0",
		"v1.2.3-beta.1.0.20200403140640-efb5e2a48a86": "1.2.3-beta.1",
		"v0.0.0-20191109021931-daa7c04131f5":          "",
		"v0.0.0-00010101000000-000000000000":          "",
		"${VERSION}":                                  "",
	} {
		if got := pluginVersion(version); got != want {
			t.Errorf("%s: %q, want %q", version, got, want)
		}
	}
}

func writeJSON(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPulumiPluginJSONIsFoundWhereGeneratedSDKsPutIt(t *testing.T) {
	for _, layout := range []string{"pulumi-plugin.json", "go/aws/pulumi-plugin.json", "polytomic/pulumi-plugin.json"} {
		dir := t.TempDir()
		writeJSON(t, filepath.Join(dir, layout), `{"resource": true, "name": "x", "version": "1.0.0"}`)
		meta, err := findPulumiPluginJSON(dir)
		if err != nil || meta == nil || meta.Name != "x" {
			t.Errorf("%s: %+v, %v", layout, meta, err)
		}
	}
	if meta, err := findPulumiPluginJSON(t.TempDir()); meta != nil || err != nil {
		t.Errorf("no file: %+v, %v", meta, err)
	}
}

func TestPackageForReadsPulumiPluginJSONAndOldProviderPaths(t *testing.T) {
	local := module{Path: "example.com/pulumi-polytomic/sdk/go", Version: "v0.0.0-00010101000000-000000000000"}
	dep, ok := packageFor(local, &plugin.PulumiPluginJSON{Resource: true, Name: "polytomic", Version: "0.3.0", Server: "https://x"})
	if !ok || dep.Name != "polytomic" || dep.Version != "0.3.0" || dep.Server != "https://x" || dep.Kind != "resource" {
		t.Fatalf("local SDK: %+v", dep)
	}
	old := module{Path: "github.com/pulumi/pulumi-aws/sdk/v6", Version: "v6.2.0"}
	if dep, ok := packageFor(old, nil); !ok || dep.Name != "aws" || dep.Version != "6.2.0" {
		t.Fatalf("old provider SDK: %+v", dep)
	}
	if _, ok := packageFor(module{Path: "github.com/pulumi/pulumi-terraform-bridge/v3"}, nil); ok {
		t.Fatal("a Pulumi library that is no SDK is no package")
	}
	if _, ok := packageFor(old, &plugin.PulumiPluginJSON{Resource: false}); ok {
		t.Fatal("resource: false is no package")
	}
	param := &plugin.PulumiPluginJSON{Resource: true, Name: "terraform-provider", Version: "0.8.0",
		Parameterization: &plugin.PulumiParameterizationJSON{Name: "random", Version: "3.6.0", Value: []byte("v")}}
	dep, ok = packageFor(module{Path: "example.com/random", Version: "v3.6.0"}, param)
	if !ok || dep.Name != "terraform-provider" || dep.Parameterization.GetName() != "random" ||
		dep.Parameterization.GetVersion() != "3.6.0" {
		t.Fatalf("parameterized: %+v", dep)
	}
}

func TestLocalSDKsAreKeptRequiredAfterTidy(t *testing.T) {
	var mod goMod
	mod.Require = append(mod.Require, struct {
		Path     string
		Version  string
		Indirect bool
	}{Path: "github.com/pulumi/pulumi/sdk/v3", Version: "v3.274.1"})
	add := func(old, new string) {
		mod.Replace = append(mod.Replace, struct {
			Old, New struct{ Path, Version string }
		}{Old: struct{ Path, Version string }{Path: old}, New: struct{ Path, Version string }{Path: new}})
	}
	add("example.com/pulumi-b/sdk/go/v2", "./sdks/b")
	add("example.com/pulumi-a/sdk/go", "../sdks/a")
	add("example.com/fork", "github.com/me/fork")
	got := unrequiredLocalModules(mod)
	if want := []string{"example.com/pulumi-a/sdk/go", "example.com/pulumi-b/sdk/go/v2"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if v := replacedVersion("example.com/pulumi-b/sdk/go/v2"); v != "v2.0.0-00010101000000-000000000000" {
		t.Fatalf("v2: %s", v)
	}
	if v := replacedVersion("example.com/pulumi-a/sdk/go"); v != "v0.0.0-00010101000000-000000000000" {
		t.Fatalf("v0: %s", v)
	}
	deps := programDependencies(mod, false)
	if len(deps) != 1 || deps[0].Version != "v3.274.1" {
		t.Fatalf("dependencies: %v", deps)
	}
}

func TestReplacementPathsAreRelativeWithADotPrefix(t *testing.T) {
	for dir, want := range map[string]string{"/p/sdks/x": "./sdks/x", "/sdks/x": "../sdks/x"} {
		if got, err := replacementPath("/p", dir); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", dir, got, err, want)
		}
	}
}

func TestProgramPackagesFindALocallyReplacedSDK(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go on PATH")
	}
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOFLAGS", "")
	t.Setenv("GOWORK", "off")
	dir := t.TempDir()
	writeJSON(t, filepath.Join(dir, "go.mod"), "module prog\n\ngo 1.21\n\n"+
		"require example.com/pulumi-polytomic/sdk/go v0.0.0-00010101000000-000000000000\n\n"+
		"replace example.com/pulumi-polytomic/sdk/go => ./sdks/polytomic\n")
	writeJSON(t, filepath.Join(dir, "sdks/polytomic/go.mod"), "module example.com/pulumi-polytomic/sdk/go\n\ngo 1.21\n")
	writeJSON(t, filepath.Join(dir, "sdks/polytomic/polytomic/pulumi-plugin.json"),
		`{"resource": true, "name": "polytomic", "version": "0.3.0"}`)
	packages, err := programPackages(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(packages) != 1 || packages[0].Name != "polytomic" || packages[0].Version != "0.3.0" {
		t.Fatalf("packages: %v", packages)
	}
	modulePath, importPath, err := sdkModule("go", filepath.Join(dir, "sdks/polytomic"))
	if err != nil || modulePath != "example.com/pulumi-polytomic/sdk/go" ||
		importPath != "example.com/pulumi-polytomic/sdk/go/polytomic" {
		t.Fatalf("sdk module: %s %s %v", modulePath, importPath, err)
	}
}
