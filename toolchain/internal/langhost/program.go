package langhost

import (
	"fmt"
	"path/filepath"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Program is where a program (or a source-based plugin) lives and the runtime options of its Pulumi.yaml
// (or PulumiPlugin.yaml), as the engine sends them in a ProgramInfo.
type Program struct {
	Root       string // the folder of Pulumi.yaml
	Directory  string // the folder of the program's entry point
	EntryPoint string // relative to Directory; "." is the folder itself
	options    map[string]any
}

// commandLineOptions are runtime options given on the host's command line (see splitRuntimeOptions): what a
// program's own options do not say, these do.
var commandLineOptions = map[string]any{}

// ProgramFrom reads a ProgramInfo; older engine calls that send none fall back to the given directory.
func ProgramFrom(info *pulumirpc.ProgramInfo, fallbackDirectory string) Program {
	if info == nil {
		return Program{
			Root: fallbackDirectory, Directory: fallbackDirectory, EntryPoint: ".", options: withCommandLine(nil),
		}
	}
	program := Program{
		Root:       info.GetRootDirectory(),
		Directory:  info.GetProgramDirectory(),
		EntryPoint: info.GetEntryPoint(),
	}
	if program.Directory == "" {
		program.Directory = program.Root
	}
	if program.Root == "" {
		program.Root = program.Directory
	}
	if program.EntryPoint == "" {
		program.EntryPoint = "."
	}
	var options map[string]any
	if info.GetOptions() != nil {
		options = info.GetOptions().AsMap()
	}
	program.options = withCommandLine(options)
	return program
}

func withCommandLine(options map[string]any) map[string]any {
	merged := map[string]any{}
	for name, value := range commandLineOptions {
		merged[name] = value
	}
	for name, value := range options {
		merged[name] = value
	}
	return merged
}

// Option is a runtime option as text ("" when unset); Pulumi.yaml may spell booleans and numbers as YAML
// scalars, which arrive typed.
func (p Program) Option(name string) string {
	value, ok := p.options[name]
	if !ok || value == nil {
		return ""
	}
	if text, ok := value.(string); ok {
		return text
	}
	return fmt.Sprint(value)
}

// BoolOption is a boolean runtime option, with its default when unset.
func (p Program) BoolOption(name string, fallback bool) bool {
	switch p.Option(name) {
	case "":
		return fallback
	case "true", "True", "yes":
		return true
	default:
		return false
	}
}

// Resolve makes a path from Pulumi.yaml absolute: relative paths there are relative to the project root.
func (p Program) Resolve(path string) string {
	if path == "" || filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(p.Root, path)
}
