package langhost

import (
	"regexp"
	"strings"
)

// semverPattern is a semantic version (https://semver.org), without the leading "v".
var semverPattern = regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// PluginVersion is a version from an SDK's metadata (pulumi-plugin.json, package.json) as the engine takes it:
// without a leading "v", or "" when it is no version at all (a generated SDK's "${VERSION}" placeholder),
// which the engine would refuse for the whole program.
func PluginVersion(version string) string {
	version = strings.TrimPrefix(strings.TrimSpace(version), "v")
	if !semverPattern.MatchString(version) {
		return ""
	}
	return version
}
