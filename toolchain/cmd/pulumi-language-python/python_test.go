package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/polytomic-pulumi/toolchain/internal/langhost"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

func programWith(t *testing.T, root string, options map[string]any) langhost.Program {
	t.Helper()
	opts, err := structpb.NewStruct(options)
	if err != nil {
		t.Fatal(err)
	}
	return langhost.ProgramFrom(&pulumirpc.ProgramInfo{
		RootDirectory: root, ProgramDirectory: root, EntryPoint: ".", Options: opts,
	}, "")
}

func TestVirtualenvIsRelativeToTheProjectRootAndActivated(t *testing.T) {
	python, err := interpreterFor(programWith(t, "/project", map[string]any{"virtualenv": "venv/"}))
	if err != nil {
		t.Fatal(err)
	}
	if python.python != "/project/venv/bin/python" || python.virtualenv != "/project/venv" {
		t.Fatalf("got %+v", python)
	}
	env := python.environ([]string{"PATH=/usr/bin", "PYTHONHOME=/opt/py", "VIRTUAL_ENV=/other", "HOME=/root"})
	want := []string{"HOME=/root", "VIRTUAL_ENV=/project/venv", "PATH=/project/venv/bin:/usr/bin"}
	if !slices.Equal(env, want) {
		t.Fatalf("environment %v, want %v", env, want)
	}
}

func TestUvDefaultsToDotVenvAndUnknownToolchainsAreRefusedByName(t *testing.T) {
	python, err := interpreterFor(programWith(t, "/p", map[string]any{"toolchain": "uv"}))
	if err != nil || python.virtualenv != "/p/.venv" {
		t.Fatalf("uv: %+v, %v", python, err)
	}
	_, err = interpreterFor(programWith(t, "/p", map[string]any{"toolchain": "poetry"}))
	if err == nil || !strings.Contains(err.Error(), `"poetry"`) || !strings.Contains(err.Error(), "toolchain") {
		t.Fatalf("poetry: %v", err)
	}
}

func TestWithoutVirtualenvTheMachinesPythonRunsUnchanged(t *testing.T) {
	t.Setenv("PULUMI_PYTHON_CMD", "python3.12")
	python, err := interpreterFor(programWith(t, "/p", map[string]any{}))
	if err != nil || python.python != "python3.12" || python.virtualenv != "" {
		t.Fatalf("got %+v, %v", python, err)
	}
	base := []string{"PATH=/usr/bin"}
	if got := python.environ(base); !slices.Equal(got, base) {
		t.Fatalf("environment changed: %v", got)
	}
}

func TestRunArgumentsCarryEverySettingTheRunnerReads(t *testing.T) {
	h := &host{langhost.Base{Flags: langhost.Flags{EngineAddress: "127.0.0.1:1234", Tracing: "http://trace"}}}
	program := programWith(t, "/p", map[string]any{})
	args := h.runArguments(&pulumirpc.RunRequest{
		MonitorAddress: "127.0.0.1:99", Project: "proj", Stack: "dev", Pwd: "/p", DryRun: true, Parallel: 8,
		Organization: "org", Args: []string{"extra"}, Info: &pulumirpc.ProgramInfo{EntryPoint: "."},
	}, program)
	want := []string{
		"--monitor", "127.0.0.1:99", "--engine", "127.0.0.1:1234", "--project", "proj", "--stack", "dev",
		"--pwd", "/p", "--dry_run", "true", "--parallel", "8", "--tracing", "http://trace",
		"--organization", "org", "--root_directory", "/p", ".", "extra",
	}
	if !slices.Equal(args, want) {
		t.Fatalf("arguments\n%v\nwant\n%v", args, want)
	}
}

func TestPackagesComeFromResourcePluginFilesOnceEach(t *testing.T) {
	packages := packagesFrom([]pluginFile{
		{Resource: true, Name: "polytomic", Version: "0.3.0", Server: "https://example.test"},
		{Resource: true, Name: "polytomic", Version: "v0.3.0"},
		{Resource: true, Name: "unversioned", Version: "${VERSION}"},
		{Resource: false, Name: "not-a-provider"},
		{Resource: true, Name: ""},
	})
	if len(packages) != 2 || packages[0].Name != "polytomic" || packages[0].Kind != "resource" ||
		packages[0].Version != "0.3.0" || packages[0].Server != "https://example.test" {
		t.Fatalf("got %v", packages)
	}
	if packages[1].Name != "unversioned" || packages[1].Version != "" {
		t.Fatalf("got %v", packages)
	}
}

func TestLinkAddsEachSdkToRequirementsOnceAndNamesItsModule(t *testing.T) {
	root := t.TempDir()
	sdk := filepath.Join(root, "sdks", "polytomic", "pulumi_polytomic")
	if err := os.MkdirAll(sdk, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sdk, "pulumi-plugin.json"), []byte(`{"resource": true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	requirements := filepath.Join(root, "requirements.txt")
	if err := os.WriteFile(requirements, []byte("pulumi>=3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	req := &pulumirpc.LinkRequest{
		Info: &pulumirpc.ProgramInfo{RootDirectory: root, ProgramDirectory: root, EntryPoint: "."},
		Packages: []*pulumirpc.LinkRequest_LinkDependency{
			{Path: "sdks/polytomic", Package: &pulumirpc.PackageDependency{Name: "polytomic"}},
		},
	}
	for range 2 { // linking again changes nothing
		answer, err := (&host{}).Link(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(answer.ImportInstructions, "import pulumi_polytomic as polytomic") {
			t.Fatalf("instructions: %s", answer.ImportInstructions)
		}
	}
	content, err := os.ReadFile(requirements)
	if err != nil {
		t.Fatal(err)
	}
	if string(content) != "pulumi>=3\n./sdks/polytomic\n" {
		t.Fatalf("requirements.txt:\n%s", content)
	}
}

func TestPythonVersionIsReadFromItsBanner(t *testing.T) {
	if got := parsePythonVersion("Python 3.11.7\n"); got != "3.11.7" {
		t.Fatalf("got %q", got)
	}
}

// fakeVirtualenv is a virtualenv whose bin/python prints what `listing` holds and counts its runs in `runs`.
func fakeVirtualenv(t *testing.T) (root, sitePackages, listing, runs string) {
	t.Helper()
	root = t.TempDir()
	sitePackages = filepath.Join(root, "venv", "lib", "python3.11", "site-packages")
	listing, runs = filepath.Join(root, "listing.json"), filepath.Join(root, "runs")
	for _, folder := range []string{sitePackages, filepath.Join(root, "venv", "bin")} {
		if err := os.MkdirAll(folder, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	script := "#!/bin/sh\necho run >> '" + runs + "'\ncat '" + listing + "'\n"
	if err := os.WriteFile(filepath.Join(root, "venv", "bin", "python"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return root, sitePackages, listing, runs
}

func TestThePackageListIsKeptUntilSomethingIsInstalledOrRemoved(t *testing.T) {
	t.Setenv("POLYTOMIC_LANGUAGE_HOST_CACHE", t.TempDir())
	t.Setenv("PYTHONPATH", "")
	root, sitePackages, listing, runs := fakeVirtualenv(t)
	program := &pulumirpc.ProgramInfo{
		RootDirectory: root, ProgramDirectory: root, EntryPoint: ".",
		Options: &structpb.Struct{Fields: map[string]*structpb.Value{"virtualenv": structpb.NewStringValue("venv")}},
	}
	write := func(listed string) {
		if err := os.WriteFile(listing, []byte(listed), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	names := func() []string {
		packages, err := (&host{}).requiredPackages(program)
		if err != nil {
			t.Fatal(err)
		}
		var found []string
		for _, p := range packages {
			found = append(found, p.Name)
		}
		return found
	}
	countRuns := func() int {
		data, _ := os.ReadFile(runs)
		return strings.Count(string(data), "run")
	}

	write(`[{"resource": true, "name": "polytomic", "version": "v1.0.0"}]`)
	if got := names(); !slices.Equal(got, []string{"polytomic"}) || countRuns() != 1 {
		t.Fatalf("first listing: %v after %d runs", got, countRuns())
	}
	write(`[]`) // what Python would print now, but nothing was installed or removed: the kept list holds
	if got := names(); !slices.Equal(got, []string{"polytomic"}) || countRuns() != 1 {
		t.Fatalf("unchanged virtualenv: %v after %d runs, want the kept list and no run", got, countRuns())
	}
	// An install adds a .dist-info folder to site-packages, which changes the folder's modification time.
	later := time.Now().Add(2 * time.Second)
	if err := os.Mkdir(filepath.Join(sitePackages, "other-1.0.dist-info"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(sitePackages, later, later); err != nil {
		t.Fatal(err)
	}
	if got := names(); len(got) != 0 || countRuns() != 2 {
		t.Fatalf("after an install: %v after %d runs, want a fresh (empty) listing", got, countRuns())
	}
}
