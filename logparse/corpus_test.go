package logparse_test

import (
	"path/filepath"
	"runtime"
)

// corpusDir is ../shared/corpus next to the repository.
func corpusDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "shared", "corpus")
}
