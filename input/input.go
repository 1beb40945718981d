// Package input opens what a user names on the command line as streams of
// Windows Update log records: files, "-" for standard input, directories
// (searched recursively for Windows Update logs; the .etl files of one
// folder are one input, merged by time), gzip-compressed files and zip
// archives (each matching member is an input of its own).
//
// [Expand] turns arguments into a list of [Input] values without reading
// them; [Input.Open] sniffs the content (text log, gzip, a registered
// binary format such as .etl, or an unsupported binary file) and returns a
// [Log], a [logparse.Source] that must be closed. Every error is one line
// that names the file.
package input

import (
	"archive/zip"
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/wulog/wulog/logparse"
)

// StdinName is the display name of standard input.
const StdinName = "<stdin>"

// sniffLen is how many leading bytes Open looks at to tell text from binary.
const sniffLen = 8 << 10

// Input is one input named by the user or found in a directory or archive.
// It is opened only by [Input.Open].
type Input struct {
	// Name is the display name: the path as given, "<stdin>", or
	// "archive.zip:WindowsUpdate.log" for a member of a zip archive.
	Name string
	// Path is the file on disk ("" for standard input).
	Path string
	// Member is the name of the zip archive member, or "".
	Member string
	// Files are, for the .etl files of one folder (a copy of
	// C:\Windows\Logs\WindowsUpdate), the files read as one time-merged
	// stream; Path is then the folder and Name "folder/ (N .etl files)".
	Files []string

	stdin io.Reader
}

// Options change what [Expand] accepts.
type Options struct {
	// Stdin is read for the argument "-" (nil means os.Stdin).
	Stdin io.Reader
	// AllFiles makes directory walks and zip archives yield every regular
	// file instead of only the log-looking ones (see [LooksLikeLog]).
	AllFiles bool
}

// Expand turns command-line arguments into inputs: "-" is standard input,
// a directory yields the logs found under it (recursively, sorted by path),
// a .zip file yields its log members, anything else is a file. The .etl
// files found in one folder are one input when there are several of them
// (Windows Update splits its trace into files over time): they are read as
// one stream merged by time. Arguments that cannot be used give one error
// each, naming the argument; the other arguments are still expanded.
func Expand(args []string, opt Options) ([]Input, []error) {
	var ins []Input
	var errs []error
	stdinUsed := false
	for _, a := range args {
		if a == "-" {
			if stdinUsed {
				errs = append(errs, errors.New("-: standard input named twice"))
				continue
			}
			stdinUsed = true
			in := Input{Name: StdinName, stdin: opt.Stdin}
			if in.stdin == nil {
				in.stdin = os.Stdin
			}
			ins = append(ins, in)
			continue
		}
		fi, err := os.Stat(a)
		if err != nil {
			errs = append(errs, pathError(a, err))
			continue
		}
		switch {
		case fi.IsDir():
			found, werrs := walk(a, opt)
			errs = append(errs, werrs...)
			if len(found) == 0 && len(werrs) == 0 {
				errs = append(errs, fmt.Errorf("%s: is a directory with no Windows Update logs in it (looked for %s)", a, lookedFor()))
			}
			ins = append(ins, found...)
		case !fi.Mode().IsRegular():
			errs = append(errs, fmt.Errorf("%s: not a regular file", a))
		case hasExt(a, ".zip"):
			found, err := zipMembers(a, a, opt.AllFiles, true)
			if err != nil {
				errs = append(errs, err)
			}
			ins = append(ins, found...)
		default:
			ins = append(ins, Input{Name: a, Path: a})
		}
	}
	return ins, errs
}

// walk finds the inputs under dir.
func walk(dir string, opt Options) ([]Input, []error) {
	var ins []Input
	var errs []error
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			errs = append(errs, pathError(p, err))
			if d != nil && d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		switch {
		case hasExt(p, ".zip"):
			found, err := zipMembers(p, p, opt.AllFiles, false)
			if err != nil {
				errs = append(errs, err)
			}
			ins = append(ins, found...)
		case opt.AllFiles || LooksLikeLog(p):
			ins = append(ins, Input{Name: p, Path: p})
		}
		return nil
	})
	sort.SliceStable(ins, func(i, j int) bool { return ins[i].Name < ins[j].Name })
	return groupETL(ins), errs
}

// zipMembers lists the members of a zip archive that are inputs. When
// named is true the archive was named by the user: all regular members
// that look like logs, or every member when none does.
func zipMembers(path, display string, all, named bool) ([]Input, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable zip archive: %v", display, unwrapPath(err))
	}
	defer zr.Close()
	var ins []Input
	for _, f := range zr.File {
		if f.FileInfo().IsDir() || !f.FileInfo().Mode().IsRegular() {
			continue
		}
		if all || LooksLikeLog(f.Name) {
			ins = append(ins, Input{Name: display + ":" + f.Name, Path: path, Member: f.Name})
		}
	}
	if len(ins) == 0 && named {
		return nil, fmt.Errorf("%s: zip archive with no Windows Update logs in it (looked for %s)", display, lookedFor())
	}
	return ins, nil
}

// hasExt reports whether the name of file p ends with the extension ext
// (with the dot), in any case.
func hasExt(p, ext string) bool { return strings.EqualFold(filepath.Ext(p), ext) }

// LooksLikeLog reports whether a file found in a directory or archive is
// taken as an input: WindowsUpdate*.log and WindowsUpdate*.txt, any *.log,
// the same names compressed (.gz), and the extensions of registered
// decoders (such as .etl).
func LooksLikeLog(name string) bool {
	base := strings.ToLower(filepath.Base(strings.ReplaceAll(name, "\\", "/")))
	base = strings.TrimSuffix(base, ".gz")
	ext := filepath.Ext(base)
	if ext == ".log" || (ext == ".txt" && strings.HasPrefix(base, "windowsupdate")) {
		return true
	}
	mu.RLock()
	defer mu.RUnlock()
	for _, d := range decoders {
		for _, e := range d.Ext {
			if hasExt(base, e) {
				return true
			}
		}
	}
	return false
}

func lookedFor() string {
	s := "WindowsUpdate*.log, *.log, WindowsUpdate*.txt, the same .gz"
	mu.RLock()
	defer mu.RUnlock()
	for _, d := range decoders {
		for _, e := range d.Ext {
			s += ", *" + e
		}
	}
	return s
}

// File is what a [Decoder] reads.
type File struct {
	// Name is the display name of the input.
	Name string
	// Reader reads the input from its first byte.
	io.Reader
	// ReaderAt reads the input at any offset, when the input is a plain
	// file on disk; nil otherwise.
	ReaderAt io.ReaderAt
	// Size is the size of the input in bytes, or -1 when unknown.
	Size int64
}

// Decoder reads a binary input format, such as .etl trace files, as
// records. Packages register theirs with [Register] from an init function.
type Decoder struct {
	// Name names the format ("etl").
	Name string
	// Ext are the file name extensions, with the dot, that directory walks
	// and archives take as inputs of this format.
	Ext []string
	// Sniff reports whether an input that starts with head (up to 8 KiB)
	// is in this format.
	Sniff func(head []byte) bool
	// New returns the records of f.
	New func(f File) (logparse.Source, error)
}

var (
	mu       sync.RWMutex
	decoders []Decoder
)

// Register adds a decoder for a binary format.
func Register(d Decoder) {
	mu.Lock()
	defer mu.Unlock()
	decoders = append(decoders, d)
}

// Log is an opened input: the records of one file, standard input or
// archive member.
type Log struct {
	logparse.Source
	// Name is the input's display name.
	Name string
	// Format is "text" for text logs or the name of the decoder.
	Format string

	closers []io.Closer
}

// Close releases the input's file handles.
func (l *Log) Close() error {
	var first error
	for i := len(l.closers) - 1; i >= 0; i-- {
		if err := l.closers[i].Close(); err != nil && first == nil {
			first = err
		}
	}
	l.closers = nil
	return first
}

// ErrBinary is wrapped by the error Open returns for a binary file that is
// not in a format wulog reads.
var ErrBinary = errors.New("binary file, not a Windows Update log")

// Open opens the input and returns its records. Text logs are read by
// [logparse.Scanner]; gzip-compressed content is decompressed whatever the
// name; registered binary formats go to their decoder; other binary
// content gives an error wrapping [ErrBinary]. The error names the input.
// The .etl files of a folder input are merged by time (see [Input.Files]);
// a file among them that cannot be read is reported by the Log's Err, after
// the records of the others.
func (in Input) Open() (*Log, error) {
	if len(in.Files) > 0 {
		return openETLFolder(in)
	}
	l := &Log{Name: in.Name}
	var r io.Reader
	var ra io.ReaderAt
	size := int64(-1)
	switch {
	case in.Path == "":
		r = in.stdin
		if r == nil {
			r = os.Stdin
		}
	case in.Member != "":
		zr, err := zip.OpenReader(in.Path)
		if err != nil {
			return nil, pathError(in.Name, err)
		}
		l.closers = append(l.closers, zr)
		var zf *zip.File
		for _, f := range zr.File {
			if f.Name == in.Member {
				zf = f
				break
			}
		}
		if zf == nil {
			l.Close()
			return nil, fmt.Errorf("%s: no such member in the archive", in.Name)
		}
		rc, err := zf.Open()
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("%s: %v", in.Name, err)
		}
		l.closers = append(l.closers, rc)
		r, size = rc, int64(zf.UncompressedSize64)
	default:
		f, err := os.Open(in.Path)
		if err != nil {
			return nil, pathError(in.Name, err)
		}
		l.closers = append(l.closers, f)
		fi, err := f.Stat()
		if err != nil {
			l.Close()
			return nil, pathError(in.Name, err)
		}
		if fi.IsDir() {
			l.Close()
			return nil, fmt.Errorf("%s: is a directory, not a file", in.Name)
		}
		r, ra, size = f, f, fi.Size()
	}
	src, format, err := l.sniff(in.Name, r, ra, size, 0)
	if err != nil {
		l.Close()
		return nil, err
	}
	l.Source, l.Format = src, format
	return l, nil
}

// sniff looks at the first bytes of r and picks the reader for them.
func (l *Log) sniff(name string, r io.Reader, ra io.ReaderAt, size int64, depth int) (logparse.Source, string, error) {
	br := bufio.NewReaderSize(r, sniffLen)
	head, err := br.Peek(sniffLen)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		return nil, "", pathError(name, err)
	}
	if len(head) >= 2 && head[0] == 0x1F && head[1] == 0x8B && depth == 0 {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, "", fmt.Errorf("%s: damaged gzip data: %v", name, err)
		}
		l.closers = append(l.closers, zr)
		return l.sniff(name, zr, nil, -1, depth+1)
	}
	mu.RLock()
	ds := decoders
	mu.RUnlock()
	for _, d := range ds {
		if d.Sniff != nil && d.Sniff(head) {
			src, err := d.New(File{Name: name, Reader: br, ReaderAt: ra, Size: size})
			if err != nil {
				return nil, "", fmt.Errorf("%s: %v", name, err)
			}
			if c, ok := src.(io.Closer); ok {
				l.closers = append(l.closers, c)
			}
			return src, d.Name, nil
		}
	}
	if why := binaryReason(head); why != "" {
		return nil, "", fmt.Errorf("%s: %w (%s)", name, ErrBinary, why)
	}
	s := logparse.NewScanner(br)
	s.SetName(name)
	return s, "text", nil
}

// binaryReason says why head is not text, or "" when it is.
func binaryReason(head []byte) string {
	if len(head) == 0 {
		return ""
	}
	for _, m := range magics {
		if bytes.HasPrefix(head, []byte(m.magic)) {
			return m.what
		}
	}
	// UTF-16 text has a NUL in every other byte: what the scanner reads as
	// UTF-16 is text.
	if enc := logparse.DetectEncoding(head); enc == logparse.EncodingUTF16LE || enc == logparse.EncodingUTF16BE {
		return ""
	}
	ctl := 0
	for _, c := range head {
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != '\v' && c != 0x1B && c != 0x1A {
			ctl++
		}
	}
	if ctl*10 > len(head) {
		return fmt.Sprintf("%d of its first %d bytes are control or NUL bytes", ctl, len(head))
	}
	return ""
}

var magics = []struct{ magic, what string }{
	{"PK\x03\x04", "a zip archive; name it with a .zip extension"},
	{"MZ", "a Windows executable"},
	{"\x7fELF", "an ELF executable"},
	{"%PDF-", "a PDF document"},
	{"\x89PNG", "a PNG image"},
	{"regf", "a registry hive; use --software-hive"},
	{"SQLite format 3\x00", "an SQLite database"},
	{"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an OLE compound file (MSI, .doc)"},
	{"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"},
	{"Rar!", "a RAR archive"},
	{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "it starts with NUL bytes"},
}

// pathError turns an os error into "name: reason".
func pathError(name string, err error) error {
	return fmt.Errorf("%s: %w", name, unwrapPath(err))
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
