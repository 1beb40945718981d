// Package bundle reads and writes the zip files that `wulog collect` makes
// on a Windows machine so that `wulog analyze bundle.zip` can name the
// cause anywhere: the machine's facts (a snapshot), its Windows Update
// .etl files, the WindowsUpdate.log converted from them, and a manifest
// with the SHA-256 of every file. docs/bundle.md describes the format.
package bundle

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/snapshot"
)

// Names of the files in a bundle.
const (
	ManifestName = "manifest.json"
	SnapshotName = "snapshot.json"
	LogName      = "WindowsUpdate.log"
	// ETLDir is the folder of the .etl files, e.g. "etl/WindowsUpdate.20240502.101010.123.1.etl".
	ETLDir = "etl/"
)

// Format is the manifest's format tag; a reader accepts every
// "wulog.bundle/v1" manifest and refuses other versions.
const Format = "wulog.bundle/v1"

// maxManifest bounds the manifest a reader accepts.
const maxManifest = 4 << 20

// Manifest describes a bundle.
type Manifest struct {
	// Format is [Format].
	Format string `json:"format"`
	// Tool and ToolVersion name the program that made the bundle.
	Tool        string `json:"tool"`
	ToolVersion string `json:"tool_version"`
	// Host is the name of the machine the bundle describes.
	Host string `json:"host"`
	// CreatedAt is when the bundle was made (UTC).
	CreatedAt time.Time `json:"created_at"`
	// Files lists every other file of the zip, in the order written.
	Files []File `json:"files"`
	// LogTimeZone is the zone of the times in WindowsUpdate.log ("UTC");
	// the .etl files hold exact UTC times.
	LogTimeZone string `json:"log_time_zone,omitempty"`
	// Notes say what could not be collected and why.
	Notes []string `json:"notes,omitempty"`
}

// File is one file of a bundle.
type File struct {
	// Name is the path inside the zip ("snapshot.json", "etl/x.etl").
	Name string `json:"name"`
	// Size is the size in bytes and SHA256 the hex digest of the content.
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	// Source is where the file came from on the collected machine, if it
	// was copied (e.g. `C:\Windows\Logs\WindowsUpdate\x.etl`).
	Source string `json:"source,omitempty"`
	// ModTime is the source file's modification time, if it was copied.
	ModTime time.Time `json:"mod_time,omitzero"`
	// Description says what the file is.
	Description string `json:"description,omitempty"`
}

// File returns the manifest entry named name.
func (m *Manifest) File(name string) (File, bool) {
	i := slices.IndexFunc(m.Files, func(f File) bool { return f.Name == name })
	if i < 0 {
		return File{}, false
	}
	return m.Files[i], true
}

// ETLFiles returns the names of the .etl files, in manifest order.
func (m *Manifest) ETLFiles() []string {
	var out []string
	for _, f := range m.Files {
		if strings.HasPrefix(f.Name, ETLDir) {
			out = append(out, f.Name)
		}
	}
	return out
}

// checkName refuses names that could escape a folder when extracted, and
// names the format does not use.
func checkName(name string) error {
	if name == "" || strings.Contains(name, `\`) || path.IsAbs(name) || path.Clean(name) != name ||
		name == ".." || strings.HasPrefix(name, "../") {
		return fmt.Errorf("bundle: unsafe file name %q", name)
	}
	if name == ManifestName {
		return fmt.Errorf("bundle: %s is written by Close", ManifestName)
	}
	return nil
}

// Writer writes a bundle: add files with Add or Create, then Close, which
// writes the manifest.
type Writer struct {
	zw    *zip.Writer
	m     Manifest
	cur   *fileWriter
	names map[string]bool
	err   error
}

// NewWriter starts a bundle on w. The manifest's Format is set; Files is
// filled as files are added.
func NewWriter(w io.Writer, m Manifest) *Writer {
	m.Format = Format
	m.Files = nil
	if m.CreatedAt.IsZero() {
		m.CreatedAt = time.Now()
	}
	m.CreatedAt = m.CreatedAt.UTC()
	return &Writer{zw: zip.NewWriter(w), m: m, names: map[string]bool{}}
}

// Note adds a note to the manifest.
func (w *Writer) Note(format string, args ...any) {
	w.m.Notes = append(w.m.Notes, fmt.Sprintf(format, args...))
}

// fileWriter hashes and counts what is written to one zip entry.
type fileWriter struct {
	w    io.Writer
	h    hash.Hash
	n    int64
	file File
}

func (f *fileWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	f.h.Write(p[:n])
	f.n += int64(n)
	return n, err
}

// Create starts a file; write its content to the returned writer before
// the next Create, Add or Close. f.Name is required; Size and SHA256 are
// computed.
func (w *Writer) Create(f File) (io.Writer, error) {
	if err := w.finish(); err != nil {
		return nil, err
	}
	if err := checkName(f.Name); err != nil {
		return nil, err
	}
	if w.names[f.Name] {
		return nil, fmt.Errorf("bundle: %s added twice", f.Name)
	}
	w.names[f.Name] = true
	mod := f.ModTime
	if mod.IsZero() {
		mod = w.m.CreatedAt
	}
	zf, err := w.zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: mod})
	if err != nil {
		w.err = err
		return nil, err
	}
	w.cur = &fileWriter{w: zf, h: sha256.New(), file: f}
	return w.cur, nil
}

// Add copies r into a new file.
func (w *Writer) Add(f File, r io.Reader) error {
	dst, err := w.Create(f)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, r); err != nil {
		w.err = fmt.Errorf("bundle: writing %s: %w", f.Name, err)
		return w.err
	}
	return w.finish()
}

// finish records the file being written in the manifest.
func (w *Writer) finish() error {
	if w.err != nil {
		return w.err
	}
	if w.cur == nil {
		return nil
	}
	f := w.cur.file
	f.Size = w.cur.n
	f.SHA256 = hex.EncodeToString(w.cur.h.Sum(nil))
	if !f.ModTime.IsZero() {
		f.ModTime = f.ModTime.UTC()
	}
	w.m.Files = append(w.m.Files, f)
	w.cur = nil
	return nil
}

// Manifest returns the manifest as it stands.
func (w *Writer) Manifest() Manifest { return w.m }

// Close writes the manifest and finishes the zip. It does not close the
// underlying writer.
func (w *Writer) Close() error {
	if err := w.finish(); err != nil {
		return err
	}
	b, err := json.MarshalIndent(w.m, "", "  ")
	if err != nil {
		return err
	}
	zf, err := w.zw.CreateHeader(&zip.FileHeader{Name: ManifestName, Method: zip.Deflate, Modified: w.m.CreatedAt})
	if err != nil {
		return err
	}
	if _, err := zf.Write(append(b, '\n')); err != nil {
		return err
	}
	return w.zw.Close()
}

// ErrNotBundle is returned by Open and NewReader for a zip without a
// wulog manifest.
var ErrNotBundle = errors.New("not a wulog bundle (no manifest.json)")

// BrokenError is returned by Open and NewReader for a zip that has a wulog
// manifest but is not a valid bundle (unreadable or inconsistent manifest,
// files missing or unlisted, an unsupported bundle format version).
type BrokenError struct {
	// Err says what is wrong, starting with the bundle's name.
	Err error
}

// Error returns the description of what is wrong with the bundle.
func (e *BrokenError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *BrokenError) Unwrap() error { return e.Err }

// Bundle is an opened bundle. It implements diagnose.FactSource with the
// facts of its snapshot.
type Bundle struct {
	// Manifest is the bundle's manifest.
	Manifest Manifest
	name     string
	zr       *zip.Reader
	files    map[string]*zip.File
	closer   io.Closer
}

var _ diagnose.FactSource = (*Bundle)(nil)

// Open opens a bundle file. Close it when done.
func Open(name string) (*Bundle, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	b, err := NewReader(f, st.Size(), name)
	if err != nil {
		f.Close()
		return nil, err
	}
	b.closer = f
	return b, nil
}

// IsBundle reports whether the file at name is a wulog bundle: a zip whose
// manifest.json has the bundle format tag.
func IsBundle(name string) bool {
	b, err := Open(name)
	if err != nil {
		return false
	}
	b.Close()
	return true
}

// NewReader reads a bundle from r, which holds size bytes; name is used in
// messages. It reads and checks the manifest: format, safe names, every
// listed file present and no file unlisted.
func NewReader(r io.ReaderAt, size int64, name string) (*Bundle, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	b := &Bundle{name: name, zr: zr, files: map[string]*zip.File{}}
	for _, f := range zr.File {
		if _, dup := b.files[f.Name]; dup {
			return nil, fmt.Errorf("%s: %s appears twice in the zip", name, f.Name)
		}
		b.files[f.Name] = f
	}
	mf, ok := b.files[ManifestName]
	if !ok {
		return nil, fmt.Errorf("%s: %w", name, ErrNotBundle)
	}
	if err := b.check(mf); err != nil {
		if errors.Is(err, ErrNotBundle) {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		return nil, &BrokenError{Err: fmt.Errorf("%s: %w", name, err)}
	}
	return b, nil
}

// check reads the manifest mf and checks it against the zip: format, safe
// names, every listed file present and no file unlisted.
func (b *Bundle) check(mf *zip.File) error {
	rc, err := mf.Open()
	if err != nil {
		return fmt.Errorf("%s: %w", ManifestName, err)
	}
	data, err := io.ReadAll(io.LimitReader(rc, maxManifest+1))
	rc.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", ManifestName, err)
	}
	if len(data) > maxManifest {
		return fmt.Errorf("%s is larger than %d bytes", ManifestName, maxManifest)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&b.Manifest); err != nil {
		return fmt.Errorf("%s: %w", ManifestName, err)
	}
	if !strings.HasPrefix(b.Manifest.Format, "wulog.bundle/") {
		return fmt.Errorf("%w (format %q)", ErrNotBundle, b.Manifest.Format)
	}
	if b.Manifest.Format != Format {
		return fmt.Errorf("bundle format %q is not supported (this wulog reads %s)", b.Manifest.Format, Format)
	}
	listed := map[string]bool{ManifestName: true}
	for _, f := range b.Manifest.Files {
		if err := checkName(f.Name); err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
		if listed[f.Name] {
			return fmt.Errorf("manifest lists %s twice", f.Name)
		}
		listed[f.Name] = true
		zf, ok := b.files[f.Name]
		if !ok {
			return fmt.Errorf("manifest lists %s, which the zip lacks", f.Name)
		}
		if int64(zf.UncompressedSize64) != f.Size || f.Size < 0 {
			return fmt.Errorf("%s is %d bytes in the zip, %d in the manifest", f.Name, zf.UncompressedSize64, f.Size)
		}
	}
	for n := range b.files {
		if !listed[n] {
			return fmt.Errorf("%s is in the zip but not in the manifest", n)
		}
	}
	return nil
}

// Close closes the bundle file opened by Open.
func (b *Bundle) Close() error {
	if b.closer != nil {
		return b.closer.Close()
	}
	return nil
}

// Name describes the bundle for reports.
func (b *Bundle) Name() string {
	return fmt.Sprintf("bundle %s (%s, collected %s)", path.Base(strings.ReplaceAll(b.name, `\`, "/")), b.Manifest.Host, b.Manifest.CreatedAt.Format(time.RFC3339))
}

// Has reports whether the bundle holds the file name.
func (b *Bundle) Has(name string) bool {
	_, ok := b.Manifest.File(name)
	return ok
}

// Open opens one file of the bundle. Reading it to the end checks its
// size and SHA-256 against the manifest: a mismatch is an error that names
// the file.
func (b *Bundle) Open(name string) (io.ReadCloser, error) {
	mf, ok := b.Manifest.File(name)
	if !ok {
		return nil, fmt.Errorf("%s: no %s in the bundle", b.name, name)
	}
	rc, err := b.files[name].Open()
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", b.name, name, err)
	}
	return &checkedReader{rc: rc, r: io.LimitReader(rc, mf.Size+1), h: sha256.New(), want: mf, bundle: b.name}, nil
}

// checkedReader verifies a file's size and digest when it reaches EOF.
type checkedReader struct {
	rc     io.ReadCloser
	r      io.Reader
	h      hash.Hash
	n      int64
	want   File
	bundle string
}

func (c *checkedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	if c.n > c.want.Size {
		return n, fmt.Errorf("%s: %s is longer than the %d bytes in the manifest", c.bundle, c.want.Name, c.want.Size)
	}
	if err == io.EOF {
		if c.n != c.want.Size {
			return n, fmt.Errorf("%s: %s has %d bytes, the manifest says %d", c.bundle, c.want.Name, c.n, c.want.Size)
		}
		if got := hex.EncodeToString(c.h.Sum(nil)); got != c.want.SHA256 {
			return n, fmt.Errorf("%s: %s has SHA-256 %s, the manifest says %s", c.bundle, c.want.Name, got, c.want.SHA256)
		}
	}
	if err != nil && err != io.EOF {
		err = fmt.Errorf("%s: %s: %w", c.bundle, c.want.Name, err)
	}
	return n, err
}

func (c *checkedReader) Close() error { return c.rc.Close() }

// Verify reads every file and checks its size and SHA-256.
func (b *Bundle) Verify() error {
	for _, f := range b.Manifest.Files {
		rc, err := b.Open(f.Name)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// Facts reads the bundle's snapshot (see diagnose/snapshot).
func (b *Bundle) Facts(ctx context.Context) (*diagnose.Facts, error) {
	rc, err := b.Open(SnapshotName)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// Read it whole first, so that the digest is checked before use.
	data, err := io.ReadAll(io.LimitReader(rc, snapshot.MaxSize+1))
	if err != nil {
		return nil, err
	}
	return snapshot.Read(bytes.NewReader(data), b.name+":"+SnapshotName)
}
