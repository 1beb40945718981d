package input

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/logparse/etl"
	"github.com/wulog/wulog/logparse/etl/wu"
)

// maxETLInMemory caps the size of an .etl input that is not a plain file
// (standard input, a zip member, gzip data) and so is read into memory.
const maxETLInMemory = 1 << 30

func init() {
	Register(Decoder{
		Name:  "etl",
		Ext:   []string{".etl"},
		Sniff: etl.Sniff,
		New:   newETL,
	})
}

// newETL reads an .etl input as Windows Update records (see wu.Source):
// plain files through io.ReaderAt, one buffer per processor at a time;
// other inputs are read into memory first.
func newETL(f File) (logparse.Source, error) {
	ra, size := f.ReaderAt, f.Size
	if ra == nil || size < 0 {
		data, err := io.ReadAll(io.LimitReader(f.Reader, maxETLInMemory+1))
		if err != nil {
			return nil, err
		}
		if len(data) > maxETLInMemory {
			return nil, fmt.Errorf("ETL data larger than %d MiB that is not a plain file: extract it first", maxETLInMemory>>20)
		}
		ra, size = bytes.NewReader(data), int64(len(data))
	}
	r, err := etl.NewReader(ra, size, f.Name, nil)
	if err != nil {
		// The caller names the input: do not name it twice.
		return nil, unnamed{err, strings.TrimPrefix(err.Error(), f.Name+": ")}
	}
	return wu.NewSource(r, nil), nil
}

// unnamed is an error whose text has the input's name cut off.
type unnamed struct {
	err error
	msg string
}

// Error returns the message without the input's name.
func (u unnamed) Error() string { return u.msg }

// Unwrap returns the reader's error.
func (u unnamed) Unwrap() error { return u.err }

// groupETL replaces the plain .etl files of each folder in ins, when there
// are several, by one folder input at the place of the first of them.
func groupETL(ins []Input) []Input {
	isFile := func(in Input) bool { return in.Member == "" && in.Path != "" && hasExt(in.Path, ".etl") }
	byDir := map[string][]string{}
	for _, in := range ins {
		if isFile(in) {
			dir := filepath.Dir(in.Path)
			byDir[dir] = append(byDir[dir], in.Path)
		}
	}
	out := make([]Input, 0, len(ins))
	for _, in := range ins {
		if !isFile(in) {
			out = append(out, in)
			continue
		}
		dir := filepath.Dir(in.Path)
		files := byDir[dir]
		switch {
		case len(files) == 1:
			out = append(out, in)
		case files[0] == in.Path:
			out = append(out, Input{Name: folderName(dir, len(files)), Path: dir, Files: files})
		}
	}
	return out
}

// folderName is the display name of the .etl files of dir: "dir/ (n .etl
// files)".
func folderName(dir string, n int) string {
	if !strings.HasSuffix(dir, string(os.PathSeparator)) && !strings.HasSuffix(dir, "/") {
		dir += string(os.PathSeparator)
	}
	return fmt.Sprintf("%s (%d .etl files)", dir, n)
}

// openETLFolder opens the .etl files of a folder input as one stream of
// Windows Update records merged by time (etl.Merge: a file is read when
// the merge reaches its first event). Files that cannot be opened as ETL
// files are left out and reported by Err, one clause each naming the file,
// after the records of the others; when none can be opened, Open fails.
func openETLFolder(in Input) (*Log, error) {
	l := &Log{Name: in.Name, Format: "etl"}
	var readers []*etl.Reader
	var bad []string
	for _, p := range in.Files {
		f, err := etl.Open(p, nil)
		if err != nil {
			msg := unwrapPath(err).Error()
			if !strings.HasPrefix(msg, p+": ") {
				msg = p + ": " + msg
			}
			bad = append(bad, msg)
			continue
		}
		l.closers = append(l.closers, f)
		readers = append(readers, f.Reader)
	}
	if len(readers) == 0 {
		return nil, errors.New(strings.Join(bad, "; "))
	}
	src := wu.NewSource(etl.Merge(readers...), nil)
	if len(bad) == 0 {
		l.Source = src
	} else {
		l.Source = &lateErr{src, errors.New(strings.Join(bad, "; "))}
	}
	return l, nil
}

// lateErr is a Source whose Err also reports an error met before it
// started (files of a folder that could not be opened).
type lateErr struct {
	logparse.Source
	err error
}

// Err returns the source's own error and the earlier one.
func (s *lateErr) Err() error {
	if err := s.Source.Err(); err != nil {
		return fmt.Errorf("%w; %w", s.err, err)
	}
	return s.err
}
