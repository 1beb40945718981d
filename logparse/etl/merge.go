package etl

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/wulog/wulog/logparse/etl/container"
)

// Events is what Reader and Multi have in common: a stream of events in
// time order, used like bufio.Scanner.
type Events interface {
	// Scan advances to the next event.
	Scan() bool
	// Event returns the current event, valid until the next Scan.
	Event() *Event
	// Err returns the I/O error that stopped Scan, or nil.
	Err() error
	// Problems returns the damage skipped so far, in the order it was
	// found. Problems are only ever appended, so a caller may remember
	// how many it has seen.
	Problems() []Problem
	// Stats returns the counts so far.
	Stats() Stats
}

var (
	_ Events = (*Reader)(nil)
	_ Events = (*Multi)(nil)
)

// Multi merges the events of several ETL files by time, for example a
// folder copied from C:\Windows\Logs\WindowsUpdate. A file is started only
// when the merge reaches its start time, so files that follow one another
// in time are read one after the other and memory stays that of the files
// whose time ranges overlap. [Concat] makes a Multi that reads files one
// after the other instead.
type Multi struct {
	rs    []*Reader
	files []*File
	next  int
	heap  minHeap[*member]
	last  *member
	probs []Problem // the readers' problems in the order they were found
	// concat reads the readers one after the other (Concat).
	concat bool
}

// member is one reader of a Multi with the number of its problems already
// copied to Multi.probs.
type member struct {
	r     *Reader
	nprob int
}

// Merge returns a Multi over readers (not yet scanned).
func Merge(readers ...*Reader) *Multi {
	rs := append([]*Reader(nil), readers...)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].hdr.StartFileTime < rs[j].hdr.StartFileTime })
	m := &Multi{rs: rs, heap: minHeap[*member]{less: byTime}}
	// What indexing found comes first, file by file.
	for _, r := range rs {
		m.probs = append(m.probs, r.probs...)
	}
	return m
}

// Concat returns a Multi that reads the readers (not yet scanned) one
// after the other, in the order given: with readers in FileOrder, the
// events of several files exactly as stored. It stops at the first reader
// that fails with an I/O error.
func Concat(readers ...*Reader) *Multi {
	return &Multi{rs: append([]*Reader(nil), readers...), heap: minHeap[*member]{less: byTime}, concat: true}
}

// byTime orders the readers of a merge by the time of their current event.
func byTime(a, b *member) bool { return a.r.ev.FileTime < b.r.ev.FileTime }

// OpenAll opens the ETL files at paths (a directory stands for the .etl
// files in it, see List) and merges them. Close closes them all. Files
// that are not ETL files make OpenAll fail with an error naming them.
func OpenAll(paths ...string) (*Multi, error) {
	var files []*File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	for _, p := range paths {
		names := []string{p}
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			if names, err = List(p); err != nil {
				closeAll()
				return nil, err
			}
		}
		for _, n := range names {
			f, err := Open(n, nil)
			if err != nil {
				closeAll()
				return nil, err
			}
			files = append(files, f)
		}
	}
	readers := make([]*Reader, len(files))
	for i, f := range files {
		readers[i] = f.Reader
	}
	m := Merge(readers...)
	m.files = files
	return m, nil
}

// Close closes the files opened by OpenAll.
func (m *Multi) Close() error {
	var errs []error
	for _, f := range m.files {
		errs = append(errs, f.Close())
	}
	return errors.Join(errs...)
}

// Readers returns the readers: by start time for Merge, as given for
// Concat.
func (m *Multi) Readers() []*Reader { return m.rs }

var lastNumber = regexp.MustCompile(`\d+`)

// List returns the .etl files of dir in the order Get-WindowsUpdateLog
// uses: by name, with the last number in the name compared as a number
// (WindowsUpdate.20240102.1.etl before WindowsUpdate.20240102.10.etl).
func List(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() && strings.EqualFold(filepath.Ext(e.Name()), ".etl") {
			names = append(names, e.Name())
		}
	}
	key := func(n string) string {
		locs := lastNumber.FindAllStringIndex(n, -1)
		if len(locs) == 0 {
			return strings.ToLower(n)
		}
		l := locs[len(locs)-1]
		num, _ := strconv.ParseUint(n[l[0]:l[1]], 10, 64)
		return strings.ToLower(n[:l[0]]) + strconv.FormatUint(num+1e12, 10)[1:] + strings.ToLower(n[l[1]:])
	}
	sort.SliceStable(names, func(i, j int) bool { return key(names[i]) < key(names[j]) })
	for i := range names {
		names[i] = filepath.Join(dir, names[i])
	}
	return names, nil
}

// Scan advances to the next event of all files: by time for Merge, file
// after file for Concat.
func (m *Multi) Scan() bool {
	if m.last != nil {
		m.heap.fixTop(m.scan(m.last))
		m.last = nil
	}
	for m.next < len(m.rs) && m.startNext() {
		mb := &member{r: m.rs[m.next]}
		if !m.concat {
			mb.nprob = len(mb.r.probs) // Merge took the indexing problems
		}
		m.next++
		if m.scan(mb) {
			m.heap.push(mb)
		}
	}
	if m.heap.len() == 0 {
		return false
	}
	m.last = m.heap.top()
	return true
}

// startNext reports whether the next reader starts now: in a merge when
// the merge has reached its start time, in a concatenation when the
// readers before it have ended without an I/O error.
func (m *Multi) startNext() bool {
	if m.concat {
		return m.heap.len() == 0 && m.Err() == nil
	}
	return m.heap.len() == 0 || m.rs[m.next].hdr.StartFileTime <= m.heap.top().r.ev.FileTime
}

// scan advances one reader and copies the problems it found meanwhile.
func (m *Multi) scan(mb *member) bool {
	more := mb.r.Scan()
	if ps := mb.r.probs; mb.nprob < len(ps) {
		m.probs = append(m.probs, ps[mb.nprob:]...)
		mb.nprob = len(ps)
	}
	return more
}

// Event returns the current event.
func (m *Multi) Event() *Event { return &m.last.r.ev }

// Reader returns the reader of the current event.
func (m *Multi) Reader() *Reader { return m.last.r }

// Err returns the first I/O error of any file.
func (m *Multi) Err() error {
	for _, r := range m.rs {
		if r.err != nil {
			return r.err
		}
	}
	return nil
}

// Problems returns the damage skipped in all files so far, in the order
// it was found: first what indexing found in each file (by start time),
// then what reading found.
func (m *Multi) Problems() []Problem { return m.probs }

// Stats returns the counts of all files so far.
func (m *Multi) Stats() Stats {
	var s Stats
	for _, r := range m.rs {
		s.add(r.stats)
	}
	return s
}

func (s *Stats) add(o Stats) {
	s.Bytes += o.Bytes
	s.Buffers += o.Buffers
	s.Compressed += o.Compressed
	s.EventsLost += o.EventsLost
	s.BufferLost += o.BufferLost
	s.Damaged += o.Damaged
	s.Records += o.Records
	if s.ByKind == nil {
		s.ByKind = map[container.Kind]int{}
	}
	for k, v := range o.ByKind {
		s.ByKind[k] += v
	}
	s.TraceLogging += o.TraceLogging
	s.Undecodable += o.Undecodable
	s.Raw += o.Raw
	s.WPP += o.WPP
}
