package langhost

import (
	"fmt"
	"os/exec"
)

// Tool is a program on PATH (node, go, npm, uv), or an error that names it and says how to get it.
func Tool(name, advice string) (string, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s is not on PATH: %s", name, advice)
	}
	return path, nil
}
