package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/polytomic-pulumi/toolchain/internal/langhost"
)

// Programs built once and kept between runs. `go build` links the executable again on every run, about 2 s
// of CPU for a program that imports the Pulumi SDK, even when nothing changed, and the engine runs the
// program for every preview, up, refresh and destroy. `go install` into a folder kept for the program first
// compares the build ID of the executable it installed last time with everything that goes into it (the
// sources, the modules, the toolchain, the flags) and does nothing when they match: Go's own staleness check
// decides, not a key of ours. The kept executable is copied to the run's own file, so an install by another
// run of the same program never writes over one that is running.

var errNoLock = errors.New("no file locks here")

// goBuildCacheDir is where kept executables live: the user's cache folder, or none (no caching).
func goBuildCacheDir() string {
	if dir := os.Getenv("POLYTOMIC_LANGUAGE_HOST_CACHE"); dir != "" {
		return filepath.Join(dir, "go-builds")
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(base, "polytomic-pulumi", "language-go")
}

// programDirectory is the absolute folder of the program, as the kept folder records it.
func programDirectory(program langhost.Program) string {
	directory, err := filepath.Abs(program.Directory)
	if err != nil {
		return program.Directory
	}
	return directory
}

// installFolder is the kept folder of one program: its directory and the package built in it.
func installFolder(cacheDir string, program langhost.Program) string {
	sum := sha256.Sum256([]byte(programDirectory(program) + "\x00" + buildPackage(program)))
	return filepath.Join(cacheDir, hex.EncodeToString(sum[:12]))
}

// The file in a kept folder that names the program's folder: a kept folder whose program is gone is removed.
const recordedDirectory = "directory"

// pruneGone removes the kept folders of programs whose folder no longer exists (a deleted checkout, a CI
// job's or a test's temporary folder), so that the cache does not grow by one executable per folder ever
// built. A folder another run is using is skipped (its lock is taken).
func pruneGone(cacheDir, keep string) {
	entries, err := os.ReadDir(cacheDir)
	if err != nil {
		return
	}
	for _, entry := range entries {
		folder := filepath.Join(cacheDir, entry.Name())
		if !entry.IsDir() || folder == keep {
			continue
		}
		recorded, err := os.ReadFile(filepath.Join(folder, recordedDirectory))
		if err != nil {
			continue
		}
		if _, err := os.Stat(string(recorded)); !errors.Is(err, os.ErrNotExist) {
			continue
		}
		if unlock, err := tryLockFolder(folder); err == nil {
			os.RemoveAll(folder)
			unlock()
		}
	}
}

// installedBuild builds the program with `go install` into its kept folder and copies the executable to out.
// It reports false, having changed nothing at out, when it cannot: no cache folder, or an install that fails
// (a compile error, a cross-compiling GOOS, GOBIN rules); the caller then runs `go build`, whose output is
// the error the user sees.
func installedBuild(ctx context.Context, program langhost.Program, out string) bool {
	cacheDir := goBuildCacheDir()
	gobin, err := findGo()
	if cacheDir == "" || err != nil {
		return false
	}
	folder := installFolder(cacheDir, program)
	if err := os.MkdirAll(folder, 0o755); err != nil {
		return false
	}
	unlock, err := lockFolder(folder)
	if err != nil {
		return false
	}
	defer unlock()
	if err := os.WriteFile(filepath.Join(folder, recordedDirectory), []byte(programDirectory(program)), 0o644); err != nil {
		return false
	}
	pruneGone(cacheDir, folder)
	env := append(os.Environ(), "GOBIN="+folder)
	install := exec.CommandContext(ctx, gobin, "install", buildPackage(program))
	install.Dir, install.Env = program.Directory, env
	if install.Run() != nil {
		return false
	}
	list := exec.CommandContext(ctx, gobin, "list", "-f", "{{.Target}}", buildPackage(program))
	list.Dir, list.Env = program.Directory, env
	var target bytes.Buffer
	list.Stdout = &target
	if list.Run() != nil {
		return false
	}
	return copyExecutable(strings.TrimSpace(target.String()), out) == nil
}

// copyExecutable copies the kept executable to the run's file.
func copyExecutable(from, to string) error {
	source, err := os.Open(from)
	if err != nil {
		return err
	}
	defer source.Close()
	target, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(target, source); err != nil {
		target.Close()
		return fmt.Errorf("copying %s: %w", from, err)
	}
	return target.Close()
}
