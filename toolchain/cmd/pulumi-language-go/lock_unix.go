//go:build unix

package main

import (
	"os"
	"path/filepath"
	"syscall"
)

// lockFolder holds an exclusive lock on a kept folder until unlock: two runs of one program install and
// copy one after the other, so neither copies an executable the other is still writing.
func lockFolder(folder string) (unlock func(), err error) {
	return flockFolder(folder, syscall.LOCK_EX)
}

// tryLockFolder takes the lock only if no other run holds it.
func tryLockFolder(folder string) (unlock func(), err error) {
	return flockFolder(folder, syscall.LOCK_EX|syscall.LOCK_NB)
}

func flockFolder(folder string, how int) (unlock func(), err error) {
	file, err := os.OpenFile(filepath.Join(folder, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(file.Fd()), how); err != nil {
		file.Close()
		return nil, err
	}
	return func() { file.Close() }, nil
}
