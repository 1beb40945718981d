// Package shared locates the team's reference data for tests: the real
// logs of corpus/ and the .etl files of etl-samples/ in the shared folder
// next to the repository (../shared). Tests read that data in place and
// skip, with a message naming the path, when it is absent; the repository
// never holds a copy.
package shared

import (
	"os"
	"path/filepath"
)

// Path returns the path of elem in the shared folder next to the repository
// root (the folder holding go.mod, found from the working directory up), for
// example Path("corpus", "MANIFEST.tsv"). It does not check that the path
// exists. Outside the repository it is relative to the working directory's
// parent.
func Path(elem ...string) string {
	return filepath.Join(append([]string{repoRoot(), "..", "shared"}, elem...)...)
}

// repoRoot returns the nearest directory at or above the working directory
// that holds go.mod, or "." when there is none.
func repoRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return "."
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "."
		}
		dir = parent
	}
}
