package langhost

import (
	"encoding/json"
	"os/exec"
	"strings"
	"sync"
	"testing"

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
