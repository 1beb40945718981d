package input

import (
	"bytes"
	"fmt"
	"io"
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
