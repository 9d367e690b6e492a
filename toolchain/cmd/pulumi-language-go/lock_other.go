//go:build !unix

package main

// lockFolder does not lock where flock is missing: such hosts build with `go build` (see installedBuild).
func lockFolder(string) (func(), error) { return nil, errNoLock }

// tryLockFolder does not lock either.
func tryLockFolder(string) (func(), error) { return nil, errNoLock }
