package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// The list of a virtualenv's Pulumi packages, kept between runs. Listing them starts Python and reads the
// RECORD of every installed distribution (about 0.15 s of CPU), and the engine asks for it on every preview,
// up, refresh and destroy, while the list changes only when something is installed or removed. Installing
// or removing a distribution adds or removes an entry of a site-packages folder (its .dist-info folder, a
// .pth file), which changes that folder's modification time: the key of the kept list is those times, with
// the interpreter, PYTHONPATH (and its folders' times) and the script that makes the list.

// pluginCacheDir is where kept lists live: the user's cache folder, or none (no caching) where there is none.
func pluginCacheDir() string {
	if dir := os.Getenv("POLYTOMIC_LANGUAGE_HOST_CACHE"); dir != "" {
		return dir
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(base, "polytomic-pulumi", "language-python")
}

// pluginListKey is the key of a virtualenv's package list, or "" when it cannot be told (no virtualenv, no
// site-packages folder found): then the list is made afresh.
func pluginListKey(python interpreter, pythonPath string) string {
	if python.virtualenv == "" {
		return ""
	}
	folders, _ := filepath.Glob(filepath.Join(python.virtualenv, "lib*", "python*", "site-packages"))
	if len(folders) == 0 {
		return ""
	}
	for _, entry := range filepath.SplitList(pythonPath) {
		if entry != "" {
			folders = append(folders, entry)
		}
	}
	sort.Strings(folders)
	hash := sha256.New()
	fmt.Fprintf(hash, "%s\x00%s\x00%s\x00", python.python, pythonPath, pluginsScript)
	for _, folder := range folders {
		info, err := os.Stat(folder)
		if err != nil {
			fmt.Fprintf(hash, "%s\x00missing\x00", folder)
			continue
		}
		fmt.Fprintf(hash, "%s\x00%d\x00", folder, info.ModTime().UnixNano())
	}
	if info, err := os.Stat(python.python); err == nil {
		fmt.Fprintf(hash, "%d\x00", info.ModTime().UnixNano())
	}
	return hex.EncodeToString(hash.Sum(nil))
}

// keptPluginList is the list kept under key, if any.
func keptPluginList(dir, key string) ([]byte, bool) {
	if dir == "" || key == "" {
		return nil, false
	}
	data, err := os.ReadFile(filepath.Join(dir, key+".json"))
	return data, err == nil
}

// keepPluginList writes the list under key, whole or not at all (a reader never sees half a file); a failure
// only means the next run makes the list again.
func keepPluginList(dir, key string, data []byte) {
	if dir == "" || key == "" || strings.TrimSpace(string(data)) == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return
	}
	temp, err := os.CreateTemp(dir, key+".*.tmp")
	if err != nil {
		return
	}
	_, writeErr := temp.Write(data)
	closeErr := temp.Close()
	if writeErr != nil || closeErr != nil || os.Rename(temp.Name(), filepath.Join(dir, key+".json")) != nil {
		_ = os.Remove(temp.Name())
	}
}
