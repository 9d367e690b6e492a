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
	"strings"
	"unicode"

	"github.com/polytomic-pulumi/toolchain/internal/langhost"
	"github.com/pulumi/pulumi/pkg/v3/codegen/nodejs"
	"github.com/pulumi/pulumi/pkg/v3/codegen/pcl"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const toolName = "pulumi-language-nodejs"

// GeneratePackage writes a Node.js SDK. With req.Local (`pulumi package add`) the SDK compiles itself when
// installed (a postinstall script), so a program can depend on its folder directly.
func (h *host) GeneratePackage(_ context.Context, req *pulumirpc.GeneratePackageRequest) (
	*pulumirpc.GeneratePackageResponse, error,
) {
	return langhost.GeneratePackage(req, func(pkg *schema.Package, req *pulumirpc.GeneratePackageRequest,
		loader schema.ReferenceLoader,
	) (map[string][]byte, error) {
		return nodejs.GeneratePackage(toolName, pkg, req.GetExtraFiles(), req.GetLocalDependencies(), req.GetLocal(), loader)
	})
}

func (h *host) GenerateProgram(_ context.Context, req *pulumirpc.GenerateProgramRequest) (
	*pulumirpc.GenerateProgramResponse, error,
) {
	return langhost.GenerateProgram(req, nodejs.GenerateProgram)
}

func (h *host) GenerateProject(_ context.Context, req *pulumirpc.GenerateProjectRequest) (
	*pulumirpc.GenerateProjectResponse, error,
) {
	return langhost.GenerateProject(req, func(directory string, project workspace.Project, program *pcl.Program,
		localDependencies map[string]string,
	) error {
		return nodejs.GenerateProject(directory, project, program, localDependencies, false, project.Runtime.Name())
	})
}

// Link adds local SDKs (what `pulumi package add` generated under sdks/) to the program's package.json as
// `file:` dependencies, which the InstallDependencies that follows installs.
func (h *host) Link(_ context.Context, req *pulumirpc.LinkRequest) (*pulumirpc.LinkResponse, error) {
	if len(req.GetPackages()) == 0 {
		return &pulumirpc.LinkResponse{}, nil // `pulumi convert` links even when the program needs no SDK
	}
	program := langhost.ProgramFrom(req.GetInfo(), "")
	dir := manifestDir(program)
	manifestPath := filepath.Join(dir, "package.json")
	manifest, err := os.ReadFile(manifestPath)
	if err != nil {
		return nil, fmt.Errorf("linking an SDK needs the program's package.json: %w", err)
	}
	meta, err := readPackageJSON(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", manifestPath, err)
	}
	moduleSyntax := isTypeScript(dir, meta) || meta.Type == "module"
	var imports strings.Builder
	for _, dependency := range req.GetPackages() {
		sdk := filepath.Join(program.Root, dependency.GetPath())
		sdkMeta, err := readPackageJSON(sdk)
		if err != nil || sdkMeta.Name == "" {
			return nil, fmt.Errorf("%s holds no Node.js SDK (no package.json with a name)", sdk)
		}
		relative, err := filepath.Rel(dir, sdk)
		if err != nil {
			return nil, err
		}
		if manifest, err = setDependency(manifest, sdkMeta.Name, "file:"+filepath.ToSlash(relative)); err != nil {
			return nil, fmt.Errorf("%s: %w", manifestPath, err)
		}
		name := pluginName(sdkMeta.Name)
		if sdkMeta.Pulumi != nil && sdkMeta.Pulumi.Name != "" {
			name = sdkMeta.Pulumi.Name
		}
		if moduleSyntax {
			fmt.Fprintf(&imports, "  import * as %s from %q;\n", camel(name), sdkMeta.Name)
		} else {
			fmt.Fprintf(&imports, "  const %s = require(%q);\n", camel(name), sdkMeta.Name)
		}
	}
	if err := os.WriteFile(manifestPath, manifest, 0o644); err != nil { //nolint:gosec // a project file
		return nil, err
	}
	language := "JavaScript"
	if isTypeScript(dir, meta) {
		language = "TypeScript"
	}
	return &pulumirpc.LinkResponse{
		ImportInstructions: fmt.Sprintf("You can import the SDK in your %s code with:\n\n%s", language, imports.String()),
	}, nil
}

// isTypeScript says whether the program in dir is written in TypeScript, for the import instructions.
func isTypeScript(dir string, meta packageJSON) bool {
	for _, file := range []string{"tsconfig.json", "index.ts"} {
		if _, err := os.Stat(filepath.Join(dir, file)); err == nil {
			return true
		}
	}
	return strings.HasSuffix(meta.Main, ".ts")
}

// camel makes a package name a JavaScript identifier: azure-native becomes azureNative.
func camel(name string) string {
	var out strings.Builder
	upper := false
	for _, r := range name {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			upper = out.Len() > 0
		case upper:
			out.WriteRune(unicode.ToUpper(r))
			upper = false
		default:
			out.WriteRune(r)
		}
	}
	return out.String()
}

// member is one key of a JSON object, kept in the order of the file.
type member struct {
	key   string
	value json.RawMessage
}

// readObject reads a JSON object's members in their order, so that editing package.json leaves the rest of
// it as the user wrote it.
func readObject(data []byte) ([]member, error) {
	decoder := json.NewDecoder(bytes.NewReader(data))
	if token, err := decoder.Token(); err != nil || token != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var members []member
	for decoder.More() {
		token, err := decoder.Token()
		if err != nil {
			return nil, err
		}
		var value json.RawMessage
		if err := decoder.Decode(&value); err != nil {
			return nil, err
		}
		members = append(members, member{key: token.(string), value: value})
	}
	return members, nil
}

// writeObject writes members as an object indented like npm writes package.json, at the given depth.
func writeObject(members []member, depth int) ([]byte, error) {
	indent := strings.Repeat("  ", depth)
	var out bytes.Buffer
	out.WriteString("{")
	for i, m := range members {
		if i > 0 {
			out.WriteString(",")
		}
		key, _ := json.Marshal(m.key)
		var value bytes.Buffer
		if err := json.Indent(&value, m.value, indent+"  ", "  "); err != nil {
			return nil, err
		}
		fmt.Fprintf(&out, "\n%s  %s: %s", indent, key, value.Bytes())
	}
	if len(members) > 0 {
		out.WriteString("\n" + indent)
	}
	out.WriteString("}")
	return out.Bytes(), nil
}

// setDependency sets dependencies[name] = spec in a package.json, keeping everything else in place.
func setDependency(manifest []byte, name, spec string) ([]byte, error) {
	top, err := readObject(manifest)
	if err != nil {
		return nil, err
	}
	specJSON, _ := json.Marshal(spec)
	at := -1
	for i, m := range top {
		if m.key == "dependencies" {
			at = i
		}
	}
	if at < 0 {
		top = append(top, member{key: "dependencies", value: json.RawMessage("{}")})
		at = len(top) - 1
	}
	dependencies, err := readObject(top[at].value)
	if err != nil {
		return nil, fmt.Errorf("dependencies: %w", err)
	}
	replaced := false
	for i := range dependencies {
		if dependencies[i].key == name {
			dependencies[i].value, replaced = specJSON, true
		}
	}
	if !replaced {
		dependencies = append(dependencies, member{key: name, value: specJSON})
	}
	if top[at].value, err = writeObject(dependencies, 0); err != nil {
		return nil, err
	}
	out, err := writeObject(top, 0)
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Pack builds a generated SDK and packs it with npm into the destination: `npm install`, `npm run build` (tsc
// into bin/), package.json copied into bin/, then `npm pack bin`. Progress goes to the host's stderr, which the
// engine shows; Cancel stops it.
func (h *host) Pack(_ context.Context, req *pulumirpc.PackRequest) (*pulumirpc.PackResponse, error) {
	npm, err := findPackageManager("npm")
	if err != nil {
		return nil, err
	}
	dir := req.GetPackageDirectory()
	// A wrapper, not the file itself: node makes the stdio it is handed non-blocking, which Go's writes to the
	// same file would then trip over.
	stderr := struct{ io.Writer }{os.Stderr}
	run := func(args ...string) error {
		fmt.Fprintf(stderr, "$ npm %s\n", strings.Join(args, " "))
		cmd := exec.Command(npm, args...)
		cmd.Dir = dir
		if err := langhost.StreamCommand(cmd, func(out, errs []byte) error {
			_, err := stderr.Write(append(out, errs...))
			return err
		}); err != nil {
			return fmt.Errorf("npm %s failed in %s: %w", strings.Join(args, " "), dir, err)
		}
		return nil
	}
	if err := run("install"); err != nil {
		return nil, err
	}
	if err := run("run", "build"); err != nil {
		return nil, err
	}
	manifest, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "bin", "package.json"), manifest, 0o644); err != nil { //nolint:gosec
		return nil, err
	}
	destination, err := filepath.Abs(req.GetDestinationDirectory())
	if err != nil {
		return nil, err
	}
	fmt.Fprintln(stderr, "$ npm pack bin --pack-destination", destination)
	pack := exec.Command(npm, "pack", filepath.Join(dir, "bin"), "--pack-destination", destination)
	pack.Dir, pack.Stderr = dir, stderr
	out, err := langhost.Output(pack)
	if err != nil {
		return nil, fmt.Errorf("npm pack failed in %s: %w", dir, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return &pulumirpc.PackResponse{ArtifactPath: filepath.Join(destination, strings.TrimSpace(lines[len(lines)-1]))}, nil
}
