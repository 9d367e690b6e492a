package langhost

import (
	"context"
	"encoding/json"
	"os/exec"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

func TestConfigEnvIsJSONTheSDKsRead(t *testing.T) {
	env, err := ConfigEnv(map[string]string{"proj:name": "world", "proj:token": "s3cret"}, []string{"proj:token"})
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]string{}
	var secrets []string
	for _, entry := range env {
		name, value, _ := strings.Cut(entry, "=")
		switch name {
		case "PULUMI_CONFIG":
			if err := json.Unmarshal([]byte(value), &values); err != nil {
				t.Fatal(err)
			}
		case "PULUMI_CONFIG_SECRET_KEYS":
			if err := json.Unmarshal([]byte(value), &secrets); err != nil {
				t.Fatal(err)
			}
		}
	}
	if values["proj:name"] != "world" || len(secrets) != 1 || secrets[0] != "proj:token" {
		t.Fatalf("values %v, secrets %v", values, secrets)
	}
	empty, _ := ConfigEnv(nil, nil)
	if empty[0] != "PULUMI_CONFIG={}" || empty[1] != "PULUMI_CONFIG_SECRET_KEYS=[]" {
		t.Fatalf("no config: %v", empty)
	}
}

func TestRunProgramTellsBailFromFailure(t *testing.T) {
	cases := map[string]*pulumirpc.RunResponse{
		"exit 0":  {},
		"exit 32": {Bail: true},
		"exit 3":  {Error: "program exited with non-zero exit code: 3"},
	}
	for script, want := range cases {
		got := RunProgram(exec.Command("sh", "-c", script))
		if got.Bail != want.Bail || got.Error != want.Error {
			t.Errorf("%s: got %+v, want %+v", script, got, want)
		}
	}
	if got := RunProgram(exec.Command("/no/such/program")); !strings.Contains(got.Error, "could not run") {
		t.Errorf("missing program: %+v", got)
	}
}

func TestStreamCommandKeepsEachStreamApart(t *testing.T) {
	var mu sync.Mutex
	var out, errs strings.Builder
	err := StreamCommand(exec.Command("sh", "-c", "echo to-out; echo to-err >&2"), func(stdout, stderr []byte) error {
		mu.Lock()
		defer mu.Unlock()
		out.Write(stdout)
		errs.Write(stderr)
		return nil
	})
	if err != nil || out.String() != "to-out\n" || errs.String() != "to-err\n" {
		t.Fatalf("err %v, stdout %q, stderr %q", err, out.String(), errs.String())
	}
}

func TestProgramOptionsAndPaths(t *testing.T) {
	options, _ := structpb.NewStruct(map[string]any{"virtualenv": "venv", "typescript": false, "n": 2})
	program := ProgramFrom(&pulumirpc.ProgramInfo{RootDirectory: "/root", Options: options}, "/ignored")
	if program.Directory != "/root" || program.EntryPoint != "." {
		t.Fatalf("defaults: %+v", program)
	}
	if program.Option("virtualenv") != "venv" || program.Option("n") != "2" || program.Option("missing") != "" {
		t.Fatalf("options: %q %q", program.Option("virtualenv"), program.Option("n"))
	}
	if program.BoolOption("typescript", true) || !program.BoolOption("missing", true) {
		t.Fatal("boolean options")
	}
	if program.Resolve("venv") != "/root/venv" || program.Resolve("/abs") != "/abs" {
		t.Fatal("paths are relative to the project root")
	}
	if fallback := ProgramFrom(nil, "/dir"); fallback.Root != "/dir" || fallback.EntryPoint != "." {
		t.Fatalf("no info: %+v", fallback)
	}
}

// fakePluginStream is the engine's side of a RunPlugin stream.
type fakePluginStream struct {
	ctx  context.Context
	mu   sync.Mutex
	sent []*pulumirpc.RunPluginResponse
}

func (f *fakePluginStream) Send(r *pulumirpc.RunPluginResponse) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, r)
	return nil
}

func (f *fakePluginStream) Context() context.Context { return f.ctx }

func TestAPluginWhoseStreamIsAlreadyClosedIsStoppedAtOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	started := time.Now()
	if err := RunPluginCommand(exec.Command("sleep", "20"), &fakePluginStream{ctx: ctx}); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(started); elapsed > 3*time.Second {
		t.Fatalf("the plugin ran %v after its stream had closed", elapsed)
	}
}

func TestCancelStopsProgramsButNotPlugins(t *testing.T) {
	stream := &fakePluginStream{ctx: context.Background()}
	pluginDone := make(chan error, 1)
	go func() { pluginDone <- RunPluginCommand(exec.Command("sleep", "3"), stream) }()
	programDone := make(chan *pulumirpc.RunResponse, 1)
	go func() { programDone <- RunProgram(exec.Command("sleep", "20")) }()
	waitUntil(t, func() bool { return runningCount() == 2 })

	CancelAll()
	select {
	case answer := <-programDone:
		if answer.Error == "" {
			t.Fatalf("a cancelled program must fail: %+v", answer)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Cancel did not stop the program")
	}
	select {
	case <-pluginDone:
		t.Fatal("Cancel stopped a plugin")
	case <-time.After(500 * time.Millisecond):
	}
	if err := <-pluginDone; err != nil {
		t.Fatal(err)
	}
	last := stream.sent[len(stream.sent)-1].GetExitcode()
	if last != 0 {
		t.Fatalf("the plugin ended with %d", last)
	}
}

func runningCount() int {
	running.mu.Lock()
	defer running.mu.Unlock()
	return len(running.running)
}

func waitUntil(t *testing.T, condition func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if condition() {
			return
		}
	}
	t.Fatal("timed out")
}

func TestRuntimeOptionsOnTheCommandLineAreTakenOutAndServeAsProgramOptions(t *testing.T) {
	known := map[string]bool{"logtostderr": true, "v": true, "tracing": true}
	args, options := splitRuntimeOptions(
		[]string{"-toolchain=pip", "--virtualenv=venv", "-v=9", "-logtostderr", "-tracing", "x", "127.0.0.1:5"}, known)
	if want := []string{"-v=9", "-logtostderr", "-tracing", "x", "127.0.0.1:5"}; !reflect.DeepEqual(args, want) {
		t.Fatalf("arguments left: %v, want %v", args, want)
	}
	if want := map[string]any{"toolchain": "pip", "virtualenv": "venv"}; !reflect.DeepEqual(options, want) {
		t.Fatalf("options: %v, want %v", options, want)
	}

	saved := commandLineOptions
	defer func() { commandLineOptions = saved }()
	commandLineOptions = options
	program := ProgramFrom(&pulumirpc.ProgramInfo{RootDirectory: "/p"}, "")
	if program.Option("virtualenv") != "venv" || program.Option("toolchain") != "pip" {
		t.Fatalf("the command line's options are the program's when it has none: %v", program.options)
	}
}
