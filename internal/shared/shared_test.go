package shared

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPath checks that Path finds ../shared next to the repository root from
// a package two levels down, whether or not the shared folder is there.
func TestPath(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(wd, "..", "..", "..", "shared", "corpus", "MANIFEST.tsv")
	if got := Path("corpus", "MANIFEST.tsv"); got != want {
		t.Errorf("Path = %q, want %q", got, want)
	}
	if got := Path(); got != filepath.Join(wd, "..", "..", "..", "shared") {
		t.Errorf("Path() = %q", got)
	}
}
