package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// writeProgram writes a Go program without dependencies that prints message.
func writeProgram(t *testing.T, dir, message string) {
	t.Helper()
	files := map[string]string{
		"go.mod":  "module example.com/kept\n\ngo 1.21\n",
		"main.go": "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"" + message + "\") }\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func runBuilt(t *testing.T, binary string) string {
	t.Helper()
	out, err := exec.Command(binary).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func TestAProgramIsLinkedAgainOnlyWhenSomethingInItChanged(t *testing.T) {
	if _, err := findGo(); err != nil {
		t.Skip("no go here")
	}
	t.Setenv("POLYTOMIC_LANGUAGE_HOST_CACHE", t.TempDir())
	dir := t.TempDir()
	writeProgram(t, dir, "first")
	program := programWith(t, dir, nil)
	out := filepath.Join(t.TempDir(), "program")

	if err := build(context.Background(), program, out); err != nil {
		t.Fatal(err)
	}
	if got := runBuilt(t, out); got != "first" {
		t.Fatalf("the built program printed %q", got)
	}
	kept := filepath.Join(installFolder(goBuildCacheDir(), program), "kept")
	before, err := os.Stat(kept)
	if err != nil {
		t.Fatalf("the executable is kept for the next run: %v", err)
	}

	if err := build(context.Background(), program, out); err != nil {
		t.Fatal(err)
	}
	// go install touches an executable that is up to date, and writes a new file when it links again.
	if after, err := os.Stat(kept); err != nil || !os.SameFile(before, after) {
		t.Fatal("nothing changed, yet the kept executable was linked again")
	}

	writeProgram(t, dir, "second")
	if err := build(context.Background(), program, out); err != nil {
		t.Fatal(err)
	}
	if got := runBuilt(t, out); got != "second" {
		t.Fatalf("a changed source must give a new executable; it printed %q", got)
	}
}

func TestAProgramThatDoesNotCompileStillShowsTheCompilerError(t *testing.T) {
	if _, err := findGo(); err != nil {
		t.Skip("no go here")
	}
	t.Setenv("POLYTOMIC_LANGUAGE_HOST_CACHE", t.TempDir())
	dir := t.TempDir()
	writeProgram(t, dir, "x")
	if err := os.WriteFile(filepath.Join(dir, "broken.go"), []byte("package main\n\nvar x int = \"s\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := build(context.Background(), programWith(t, dir, nil), filepath.Join(t.TempDir(), "program"))
	if err == nil || !strings.Contains(err.Error(), "broken.go") || !strings.Contains(err.Error(), "does not build") {
		t.Fatalf("the error must be go build's, naming the file: %v", err)
	}
}

func TestTheKeptExecutableOfAProgramWhoseFolderIsGoneIsRemoved(t *testing.T) {
	if _, err := findGo(); err != nil {
		t.Skip("no go here")
	}
	t.Setenv("POLYTOMIC_LANGUAGE_HOST_CACHE", t.TempDir())
	gone, kept := t.TempDir(), t.TempDir()
	writeProgram(t, gone, "gone")
	writeProgram(t, kept, "kept")
	out := filepath.Join(t.TempDir(), "program")
	if err := build(context.Background(), programWith(t, gone, nil), out); err != nil {
		t.Fatal(err)
	}
	goneFolder := installFolder(goBuildCacheDir(), programWith(t, gone, nil))
	if err := os.RemoveAll(gone); err != nil {
		t.Fatal(err)
	}
	if err := build(context.Background(), programWith(t, kept, nil), out); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(goneFolder); !os.IsNotExist(err) {
		t.Fatalf("the kept folder of a program that is gone must be removed: %v", err)
	}
	if _, err := os.Stat(filepath.Join(installFolder(goBuildCacheDir(), programWith(t, kept, nil)), "kept")); err != nil {
		t.Fatalf("the program still there keeps its executable: %v", err)
	}
}
