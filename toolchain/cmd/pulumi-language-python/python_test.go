package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

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
