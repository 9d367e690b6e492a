package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/blang/semver"
	"github.com/polytomic-pulumi/toolchain/internal/langhost"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	codegenrpc "github.com/pulumi/pulumi/sdk/v3/proto/go/codegen"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/structpb"
)

func programWith(t *testing.T, options map[string]any) langhost.Program {
	t.Helper()
	opts, err := structpb.NewStruct(options)
	if err != nil {
		t.Fatal(err)
	}
	return langhost.ProgramFrom(&pulumirpc.ProgramInfo{
		RootDirectory: "/project", ProgramDirectory: "/project", EntryPoint: ".", Options: opts,
	}, "")
}

func TestSplitArgs(t *testing.T) {
	cases := map[string][]string{
		"":                                      nil,
		"--max-old-space-size=4096":             {"--max-old-space-size=4096"},
		"  -r  dotenv/config --trace-warnings ": {"-r", "dotenv/config", "--trace-warnings"},
		`--title "my program" 'a b'\ c`:         {"--title", "my program", "a b c"},
		`--x="" ''`:                             {"--x=", ""},
	}
	for line, want := range cases {
		got, err := splitArgs(line)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("splitArgs(%q) = %q, %v; want %q", line, got, err, want)
		}
	}
	if _, err := splitArgs(`--title "open`); err == nil {
		t.Error("an unterminated quote must be an error")
	}
}

func TestOptions(t *testing.T) {
	defaults, err := optionsFrom(programWith(t, nil))
	if err != nil || !defaults.typescript || defaults.packageManager != "" || len(defaults.nodeargs) != 0 {
		t.Fatalf("defaults = %+v, %v", defaults, err)
	}
	if got := defaults.env(); !reflect.DeepEqual(got, []string{"PULUMI_NODEJS_TYPESCRIPT=true"}) {
		t.Errorf("default env = %q", got)
	}
	set, err := optionsFrom(programWith(t, map[string]any{
		"typescript": false, "tsconfig": "tsconfig.pulumi.json", "nodeargs": "--inspect --no-warnings",
		"packagemanager": "pnpm",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := nodeOptions{tsconfig: "tsconfig.pulumi.json", nodeargs: []string{"--inspect", "--no-warnings"},
		packageManager: "pnpm"}
	if !reflect.DeepEqual(set, want) {
		t.Errorf("options = %+v, want %+v", set, want)
	}
	wantEnv := []string{"PULUMI_NODEJS_TYPESCRIPT=false", "PULUMI_NODEJS_TSCONFIG_PATH=tsconfig.pulumi.json"}
	if got := set.env(); !reflect.DeepEqual(got, wantEnv) {
		t.Errorf("env = %q", got)
	}
	if _, err := optionsFrom(programWith(t, map[string]any{"packagemanager": "cargo"})); err == nil {
		t.Error("an unknown package manager must be an error")
	}
}

func TestRunArguments(t *testing.T) {
	program := programWith(t, nil)
	req := &pulumirpc.RunRequest{
		MonitorAddress: "127.0.0.1:1", Project: "proj", Stack: "dev", Pwd: "/project", DryRun: true,
		Parallel: 16, Organization: "org", Args: []string{"extra", "--flag"},
	}
	got := runArguments(req, program, "127.0.0.1:2", "")
	want := []string{
		"--monitor=127.0.0.1:1", "--engine=127.0.0.1:2", "--organization=org", "--project=proj", "--stack=dev",
		"--pwd=/project", "--root-directory=/project", "--parallel=16", "--dry-run", ".", "extra", "--flag",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("runArguments =\n %q\nwant\n %q", got, want)
	}
	req.DryRun = false
	req.Info = &pulumirpc.ProgramInfo{RootDirectory: "/p", ProgramDirectory: "/p/src", EntryPoint: "main.ts"}
	got = runArguments(req, langhost.ProgramFrom(req.Info, ""), "", "http://trace")
	if strings.Contains(strings.Join(got, " "), "--dry-run") || !contains(got, "--tracing=http://trace") ||
		!contains(got, "--root-directory=/p") || got[len(got)-3] != "main.ts" {
		t.Errorf("runArguments = %q", got)
	}
}

func contains(list []string, item string) bool {
	for _, x := range list {
		if x == item {
			return true
		}
	}
	return false
}

func writeJSON(t *testing.T, path string, value any) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(value)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// nodeProject lays out a program with the shapes node_modules takes: scoped, nested, a `file:` link and
// a generated SDK's version placeholder.
func nodeProject(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	writeJSON(t, filepath.Join(root, "package.json"), map[string]any{
		"name": "prog", "dependencies": map[string]string{"@pulumi/pulumi": "^3.0.0", "@pulumi/aws": "^6.0.0",
			"@polytomic/pulumi": "file:sdks/polytomic"},
		"devDependencies": map[string]string{"typescript": "^5.0.0"},
	})
	nm := filepath.Join(root, "node_modules")
	writeJSON(t, filepath.Join(nm, "@pulumi", "pulumi", "package.json"), map[string]any{"name": "@pulumi/pulumi", "version": "3.270.0"})
	writeJSON(t, filepath.Join(nm, "@pulumi", "aws", "package.json"), map[string]any{
		"name": "@pulumi/aws", "version": "6.1.0", "pulumi": map[string]any{"resource": true, "name": "aws"}})
	writeJSON(t, filepath.Join(nm, "typescript", "package.json"), map[string]any{"name": "typescript", "version": "5.4.2"})
	// A component depending on an older provider, nested; and a legacy SDK with pluginDownloadURL only.
	writeJSON(t, filepath.Join(nm, "comp", "package.json"), map[string]any{"name": "comp", "version": "1.0.0"})
	writeJSON(t, filepath.Join(nm, "comp", "node_modules", "pulumi-random", "package.json"), map[string]any{
		"name": "pulumi-random", "version": "v4.2.0",
		"pulumi": map[string]any{"resource": true, "pluginDownloadURL": "https://example.com/random"}})
	// A generated SDK (version placeholder) linked with file:, and a parameterized one.
	sdk := filepath.Join(root, "sdks", "polytomic")
	writeJSON(t, filepath.Join(sdk, "package.json"), map[string]any{
		"name": "@polytomic/pulumi", "version": "${VERSION}", "pulumi": map[string]any{"resource": true, "name": "polytomic"}})
	if err := os.MkdirAll(filepath.Join(nm, "@polytomic"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join("..", "..", "sdks", "polytomic"), filepath.Join(nm, "@polytomic", "pulumi")); err != nil {
		t.Fatal(err)
	}
	writeJSON(t, filepath.Join(nm, "@pulumi", "tf", "package.json"), map[string]any{
		"name": "@pulumi/tf", "version": "0.1.0", "pulumi": map[string]any{"resource": true, "name": "terraform-provider",
			"version": "0.8.0", "parameterization": map[string]any{"name": "tf", "version": "0.1.0", "value": "AQI="}}})
	writeJSON(t, filepath.Join(nm, ".bin", "package.json"), map[string]any{"name": "not-a-package"})
	return root
}

func TestRequiredPackages(t *testing.T) {
	root := nodeProject(t)
	packages := requiredPackages(installedPackages(filepath.Join(root)))
	got := map[string]*pulumirpc.PackageDependency{}
	for _, p := range packages {
		got[p.Name] = p
	}
	if len(packages) != 4 {
		t.Fatalf("found %d packages: %v", len(packages), packages)
	}
	if p := got["aws"]; p == nil || p.Version != "6.1.0" || p.Kind != "resource" {
		t.Errorf("aws = %v", p)
	}
	if p := got["random"]; p == nil || p.Version != "4.2.0" || p.Server != "https://example.com/random" {
		t.Errorf("random = %v", p)
	}
	if p := got["polytomic"]; p == nil || p.Version != "" {
		t.Errorf("polytomic (a local SDK's placeholder version) = %v", p)
	}
	p := got["terraform-provider"]
	if p == nil || p.Version != "0.8.0" || p.Parameterization == nil || p.Parameterization.Name != "tf" ||
		p.Parameterization.Version != "0.1.0" || string(p.Parameterization.Value) != "\x01\x02" {
		t.Errorf("parameterized = %v", p)
	}

	// The old RPC leaves the parameterized package out; a missing node_modules is no error.
	h := &host{}
	plugins, err := h.GetRequiredPlugins(context.Background(), &pulumirpc.GetRequiredPluginsRequest{
		Info: &pulumirpc.ProgramInfo{RootDirectory: root, ProgramDirectory: root, EntryPoint: "."}})
	if err != nil || len(plugins.Plugins) != 3 {
		t.Errorf("GetRequiredPlugins = %v, %v", plugins, err)
	}
	empty := t.TempDir()
	none, err := h.GetRequiredPackages(context.Background(), &pulumirpc.GetRequiredPackagesRequest{
		Info: &pulumirpc.ProgramInfo{RootDirectory: empty, ProgramDirectory: empty, EntryPoint: "."}})
	if err != nil || len(none.Packages) != 0 {
		t.Errorf("without node_modules: %v, %v", none, err)
	}
}

func TestProgramDependencies(t *testing.T) {
	root := nodeProject(t)
	manifest, err := readPackageJSON(root)
	if err != nil {
		t.Fatal(err)
	}
	installed := installedPackages(root)
	direct := map[string]string{}
	for _, d := range programDependencies(manifest, installed, false) {
		direct[d.Name] = d.Version
	}
	want := map[string]string{"@pulumi/pulumi": "3.270.0", "@pulumi/aws": "6.1.0", "typescript": "5.4.2",
		"@polytomic/pulumi": "${VERSION}"}
	if !reflect.DeepEqual(direct, want) {
		t.Errorf("direct dependencies = %v, want %v", direct, want)
	}
	all := programDependencies(manifest, installed, true)
	if len(all) != 7 { // the direct four, comp, pulumi-random and @pulumi/tf
		t.Errorf("transitive dependencies = %v", all)
	}
}

func TestSetDependencyKeepsTheFile(t *testing.T) {
	manifest := []byte("{\n  \"name\": \"prog\",\n  \"main\": \"index.ts\",\n  \"dependencies\": {\n" +
		"    \"@pulumi/pulumi\": \"3.270.0\"\n  },\n  \"private\": true\n}\n")
	out, err := setDependency(manifest, "@polytomic/pulumi", "file:sdks/polytomic")
	if err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"name\": \"prog\",\n  \"main\": \"index.ts\",\n  \"dependencies\": {\n" +
		"    \"@pulumi/pulumi\": \"3.270.0\",\n    \"@polytomic/pulumi\": \"file:sdks/polytomic\"\n  },\n" +
		"  \"private\": true\n}\n"
	if string(out) != want {
		t.Errorf("setDependency =\n%s\nwant\n%s", out, want)
	}
	again, err := setDependency(out, "@polytomic/pulumi", "file:elsewhere")
	if err != nil || strings.Count(string(again), "@polytomic/pulumi") != 1 || !strings.Contains(string(again), "file:elsewhere") {
		t.Errorf("replacing: %s, %v", again, err)
	}
	fresh, err := setDependency([]byte(`{"name":"x"}`), "a", "file:a")
	if err != nil || string(fresh) != "{\n  \"name\": \"x\",\n  \"dependencies\": {\n    \"a\": \"file:a\"\n  }\n}\n" {
		t.Errorf("adding dependencies: %s, %v", fresh, err)
	}
	if _, err := setDependency([]byte(`[1]`), "a", "b"); err == nil {
		t.Error("a package.json that is no object must be an error")
	}
}

func TestNamesAndPackageManagers(t *testing.T) {
	for in, want := range map[string]string{"polytomic": "polytomic", "azure-native": "azureNative", "a_b-c": "aBC"} {
		if got := camel(in); got != want {
			t.Errorf("camel(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"@pulumi/aws": "aws", "pulumi-random": "random", "plain": "plain"} {
		if got := pluginName(in); got != want {
			t.Errorf("pluginName(%q) = %q, want %q", in, got, want)
		}
	}
	dir := t.TempDir()
	if got := packageManager("", dir); got != "npm" {
		t.Errorf("no lock file: %s", got)
	}
	if err := os.WriteFile(filepath.Join(dir, "pnpm-lock.yaml"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if got := packageManager("", dir); got != "pnpm" {
		t.Errorf("pnpm lock file: %s", got)
	}
	if got := packageManager("yarn", dir); got != "yarn" {
		t.Errorf("explicit choice: %s", got)
	}
	for in, want := range map[string]string{"1.2.3": "1.2.3", "v1.2.3-alpha.1": "1.2.3-alpha.1", "${VERSION}": "", "": ""} {
		if got := cleanVersion(in); got != want {
			t.Errorf("cleanVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestLink(t *testing.T) {
	root := nodeProject(t)
	if err := os.WriteFile(filepath.Join(root, "index.ts"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	h := &host{}
	res, err := h.Link(context.Background(), &pulumirpc.LinkRequest{
		Info:     &pulumirpc.ProgramInfo{RootDirectory: root, ProgramDirectory: root, EntryPoint: "."},
		Packages: []*pulumirpc.LinkRequest_LinkDependency{{Path: "sdks/polytomic"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.ImportInstructions, `import * as polytomic from "@polytomic/pulumi";`) {
		t.Errorf("instructions = %q", res.ImportInstructions)
	}
	manifest, _ := readPackageJSON(root)
	if manifest.Dependencies["@polytomic/pulumi"] != "file:sdks/polytomic" || manifest.Name != "prog" {
		t.Errorf("package.json after Link = %+v", manifest)
	}
}

// schemaLoader serves one bound package, as the engine's loader would.
type schemaLoader struct{ pkg *schema.Package }

func (l schemaLoader) LoadPackage(name string, _ *semver.Version) (*schema.Package, error) {
	return l.LoadPackageV2(context.Background(), &schema.PackageDescriptor{Name: name})
}

func (l schemaLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	if l.pkg == nil || d.Name != l.pkg.Name {
		return nil, errors.New("unknown package " + d.Name)
	}
	return l.pkg, nil
}

func (l schemaLoader) LoadPackageReference(name string, v *semver.Version) (schema.PackageReference, error) {
	pkg, err := l.LoadPackage(name, v)
	if err != nil {
		return nil, err
	}
	return pkg.Reference(), nil
}

func (l schemaLoader) LoadPackageReferenceV2(ctx context.Context, d *schema.PackageDescriptor) (schema.PackageReference, error) {
	pkg, err := l.LoadPackageV2(ctx, d)
	if err != nil {
		return nil, err
	}
	return pkg.Reference(), nil
}

// TestGenerateProgram is the `pulumi import --generate-code` path: PCL using the Polytomic schema, through a
// loader served over gRPC as the engine does, written as TypeScript.
func TestGenerateProgram(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "polytomic_provider", "plugin", "schema.json"))
	if err != nil {
		t.Skip("the Polytomic schema is not in this checkout:", err)
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(data, &spec); err != nil {
		t.Fatal(err)
	}
	spec.Version = "0.3.0"
	pkg, err := schema.ImportSpec(spec, map[string]schema.Language{"nodejs": nodejs.Importer}, schemaLoader{},
		schema.ValidationOptions{})
	if err != nil {
		t.Fatal(err)
	}
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	codegenrpc.RegisterLoaderServer(server, schema.NewLoaderServer(schemaLoader{pkg}))
	go func() { _ = server.Serve(listener) }()
	defer server.Stop()

	source := `resource acme "polytomic:index:Organization" {
	name = "Acme"
}
output orgId {
	value = acme.id
}
`
	res, err := (&host{}).GenerateProgram(context.Background(), &pulumirpc.GenerateProgramRequest{
		Source: map[string]string{"main.pp": source}, LoaderTarget: listener.Addr().String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range res.Diagnostics {
		t.Logf("diagnostic: %v", d)
	}
	code := string(res.Source["index.ts"])
	for _, want := range []string{`import * as polytomic from "@polytomic/pulumi";`, `new polytomic.Organization("acme"`,
		`export const orgId = acme.id;`} {
		if !strings.Contains(code, want) {
			t.Errorf("generated program lacks %q:\n%s", want, code)
		}
	}
}
