package snapshot

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestDocExample(t *testing.T) {
	b, err := os.ReadFile("../../docs/snapshot.md")
	if err != nil {
		t.Skip(err)
	}
	m := regexp.MustCompile("(?s)## Full example \\(hand-written\\)\\n\\n```json\\n(.*?)```").FindSubmatch(b)
	if m == nil {
		t.Fatal("no full example in docs/snapshot.md")
	}
	f, err := Read(strings.NewReader(string(m[1])), "docs/snapshot.md")
	if err != nil {
		t.Fatal(err)
	}
	out, _ := Marshal(f)
	for _, want := range regexp.MustCompile(`"(data|base64|cryptsvc_write)": "[^"]*"`).FindAll(b[strings.Index(string(b), "as wulog writes them"):], -1) {
		if !strings.Contains(string(out), string(want)) {
			t.Errorf("docs claim %s but Marshal writes:\n%s", want, out)
		}
	}
}
