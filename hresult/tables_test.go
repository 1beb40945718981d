package hresult

import (
	"testing"
)

// TestEmbeddedTables checks that extra.tsv and descriptions.tsv merge
// cleanly: every row parses, every described name exists, no name is
// described twice and no hand-kept row contradicts the headers.
func TestEmbeddedTables(t *testing.T) {
	for _, p := range tab().problems {
		t.Error(p)
	}
}
