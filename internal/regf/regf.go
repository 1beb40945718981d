// Package regf writes Windows registry hive files (the "regf" format of
// SOFTWARE, SYSTEM and NTUSER.DAT) for tests: a base block with checksum,
// one hive bin, and nk (key), vk (value), sk (security), lh (subkey index)
// and value-list cells. It is test-only infrastructure: the project reads
// hives with regparser, and checks these files with Debian's hivex tools.
//
// Not supported: big data cells (values over 16 KiB), class names,
// volatile keys, transaction logs.
package regf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/wulog/wulog/diagnose"
)

// Hive is a registry hive to write.
type Hive struct {
	// Root is the root key. Its name is what Windows shows for the hive
	// root (e.g. "ROOT", "CMI-CreateHive{...}", "$$$PROTO.HIV").
	Root *Key
	// LastWritten is the base block timestamp.
	LastWritten time.Time
	// FileName is the name stored in the base block (e.g.
	// `\??\C:\Windows\System32\config\SOFTWARE`); at most 31 characters
	// are kept, as Windows does.
	FileName string
}

// Key is a registry key.
type Key struct {
	Name string
	// Modified is the key's last written time.
	Modified time.Time
	// Security is the key's self-relative SECURITY_DESCRIPTOR. A key
	// without one shares its parent's (the root must have one).
	Security []byte
	Values   []Value
	Subkeys  []*Key
}

// Value is a registry value.
type Value struct {
	Name string // "" for the default value
	Type uint32
	Data []byte
}

// NewHive returns a hive whose root key has the given name, times and
// descriptor.
func NewHive(rootName string, at time.Time, rootSecurity []byte) *Hive {
	return &Hive{Root: &Key{Name: rootName, Modified: at, Security: rootSecurity}, LastWritten: at}
}

// Key returns the subkey at path ("A\B\C", relative to k), creating
// missing keys with k's modification time.
func (k *Key) Key(path string) *Key {
	cur := k
	for _, part := range strings.Split(path, `\`) {
		if part == "" {
			continue
		}
		var next *Key
		for _, s := range cur.Subkeys {
			if strings.EqualFold(s.Name, part) {
				next = s
				break
			}
		}
		if next == nil {
			next = &Key{Name: part, Modified: k.Modified}
			cur.Subkeys = append(cur.Subkeys, next)
		}
		cur = next
	}
	return cur
}

// Set sets (or replaces) a value of k.
func (k *Key) Set(name string, typ uint32, data []byte) *Key {
	for i, v := range k.Values {
		if strings.EqualFold(v.Name, name) {
			k.Values[i] = Value{name, typ, data}
			return k
		}
	}
	k.Values = append(k.Values, Value{name, typ, data})
	return k
}

const (
	hbinHeader  = 0x20
	maxDataCell = 16344
	noCell      = 0xFFFFFFFF
	nkCompName  = 0x0020
	nkHiveEntry = 0x0004
	nkNoDelete  = 0x0008
	vkCompName  = 0x0001
	dataInline  = 0x80000000
)

// fileTime is t as a FILETIME, 0 for the zero time.
func fileTime(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return diagnose.TimeToFileTime(t)
}

// writer lays cells out in one hive bin; offsets are relative to the
// start of the hive bins data (file offset - 0x1000).
type writer struct {
	buf []byte
	sks []*skCell
}

type skCell struct {
	off  uint32
	sd   []byte
	refs uint32
}

// cell appends a cell with payload p (8-byte aligned, allocated) and
// returns its offset.
func (w *writer) cell(p []byte) uint32 {
	off := uint32(len(w.buf))
	size := (4 + len(p) + 7) &^ 7
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(-int32(size)))
	w.buf = append(w.buf, p...)
	w.buf = append(w.buf, make([]byte, size-4-len(p))...)
	return off
}

func (w *writer) put32(off uint32, v uint32) { binary.LittleEndian.PutUint32(w.buf[off:], v) }

// name encodes a key or value name: ASCII (Latin-1) when possible
// (compressed flag), else UTF-16LE.
func name(s string) ([]byte, bool) {
	ascii := true
	for _, r := range s {
		if r > 0xFF {
			ascii = false
			break
		}
	}
	if ascii {
		b := make([]byte, 0, len(s))
		for _, r := range s {
			b = append(b, byte(r))
		}
		return b, true
	}
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return b, false
}

// lhHash is the hash of an lh subkey index entry: for each character of
// the upper-cased name, h = h*37 + c.
func lhHash(n string) uint32 {
	var h uint32
	for _, u := range utf16.Encode([]rune(strings.ToUpper(n))) {
		h = h*37 + uint32(u)
	}
	return h
}

func (w *writer) security(sd []byte) (*skCell, error) {
	for _, s := range w.sks {
		if bytes.Equal(s.sd, sd) {
			s.refs++
			return s, nil
		}
	}
	p := make([]byte, 20, 20+len(sd))
	copy(p, "sk")
	binary.LittleEndian.PutUint32(p[16:], uint32(len(sd)))
	p = append(p, sd...)
	s := &skCell{off: w.cell(p), sd: sd, refs: 1}
	w.sks = append(w.sks, s)
	return s, nil
}

// key writes k and its subtree and returns the nk offset.
func (w *writer) key(k *Key, parent uint32, root bool, inherited []byte) (uint32, error) {
	if k.Name == "" && !root {
		return 0, errors.New("regf: key with an empty name")
	}
	if len(k.Name) > 255 {
		return 0, fmt.Errorf("regf: key name %q longer than 255 characters", k.Name)
	}
	sd := k.Security
	if sd == nil {
		sd = inherited
	}
	if sd == nil {
		return 0, errors.New("regf: the root key needs a security descriptor")
	}
	nb, ascii := name(k.Name)
	p := make([]byte, 0x4C, 0x4C+len(nb))
	copy(p, "nk")
	flags := uint16(0)
	if ascii {
		flags |= nkCompName
	}
	if root {
		flags |= nkHiveEntry | nkNoDelete
	}
	binary.LittleEndian.PutUint16(p[0x02:], flags)
	binary.LittleEndian.PutUint64(p[0x04:], fileTime(k.Modified))
	binary.LittleEndian.PutUint32(p[0x10:], parent)
	binary.LittleEndian.PutUint32(p[0x14:], uint32(len(k.Subkeys)))
	binary.LittleEndian.PutUint32(p[0x1C:], noCell)
	binary.LittleEndian.PutUint32(p[0x20:], noCell)
	binary.LittleEndian.PutUint32(p[0x24:], uint32(len(k.Values)))
	binary.LittleEndian.PutUint32(p[0x28:], noCell)
	binary.LittleEndian.PutUint32(p[0x30:], noCell) // class name
	binary.LittleEndian.PutUint16(p[0x48:], uint16(len(nb)))
	p = append(p, nb...)
	nk := w.cell(p)
	base := nk + 4 // payload start

	sk, err := w.security(sd)
	if err != nil {
		return 0, err
	}
	w.put32(base+0x2C, sk.off)

	// Values.
	var maxName, maxData int
	if len(k.Values) > 0 {
		offs := make([]byte, 4*len(k.Values))
		for i, v := range k.Values {
			vo, err := w.value(v)
			if err != nil {
				return 0, fmt.Errorf("key %q: %w", k.Name, err)
			}
			binary.LittleEndian.PutUint32(offs[4*i:], vo)
			vn, _ := name(v.Name)
			maxName = max(maxName, len(vn))
			maxData = max(maxData, len(v.Data))
		}
		w.put32(base+0x28, w.cell(offs))
	}
	w.put32(base+0x3C, uint32(maxName))
	w.put32(base+0x40, uint32(maxData))

	// Subkeys, sorted by upper-cased name as Windows requires.
	if len(k.Subkeys) > 0 {
		subs := slices.Clone(k.Subkeys)
		slices.SortFunc(subs, func(a, b *Key) int { return strings.Compare(strings.ToUpper(a.Name), strings.ToUpper(b.Name)) })
		for i := 1; i < len(subs); i++ {
			if strings.EqualFold(subs[i-1].Name, subs[i].Name) {
				return 0, fmt.Errorf("regf: key %q has two subkeys named %q", k.Name, subs[i].Name)
			}
		}
		list := make([]byte, 4+8*len(subs))
		copy(list, "lh")
		binary.LittleEndian.PutUint16(list[2:], uint16(len(subs)))
		maxSub := 0
		for i, s := range subs {
			so, err := w.key(s, nk, false, sd)
			if err != nil {
				return 0, err
			}
			binary.LittleEndian.PutUint32(list[4+8*i:], so)
			binary.LittleEndian.PutUint32(list[8+8*i:], lhHash(s.Name))
			sn, ascii := name(s.Name)
			l := len(sn)
			if ascii {
				l *= 2 // stored as UTF-16 character bytes
			}
			maxSub = max(maxSub, l)
		}
		w.put32(base+0x1C, w.cell(list))
		w.put32(base+0x34, uint32(maxSub))
	}
	return nk, nil
}

func (w *writer) value(v Value) (uint32, error) {
	if len(v.Data) > maxDataCell {
		return 0, fmt.Errorf("regf: value %q: %d bytes (big data cells are not supported)", v.Name, len(v.Data))
	}
	nb, ascii := name(v.Name)
	p := make([]byte, 20, 20+len(nb))
	copy(p, "vk")
	binary.LittleEndian.PutUint16(p[2:], uint16(len(nb)))
	binary.LittleEndian.PutUint32(p[12:], v.Type)
	if ascii && v.Name != "" {
		binary.LittleEndian.PutUint16(p[16:], vkCompName)
	}
	p = append(p, nb...)
	if len(v.Data) <= 4 {
		binary.LittleEndian.PutUint32(p[4:], uint32(len(v.Data))|dataInline)
		copy(p[8:12], v.Data)
		return w.cell(p), nil
	}
	vk := w.cell(p)
	data := w.cell(v.Data)
	w.put32(vk+4+4, uint32(len(v.Data)))
	w.put32(vk+4+8, data)
	return vk, nil
}

// Bytes encodes the hive.
func (h *Hive) Bytes() ([]byte, error) {
	if h.Root == nil {
		return nil, errors.New("regf: hive without a root key")
	}
	w := &writer{buf: make([]byte, hbinHeader)}
	root, err := w.key(h.Root, 0, true, nil)
	if err != nil {
		return nil, err
	}
	// Link the sk cells into a circular list and set reference counts.
	for i, s := range w.sks {
		next := w.sks[(i+1)%len(w.sks)]
		prev := w.sks[(i+len(w.sks)-1)%len(w.sks)]
		w.put32(s.off+4+4, next.off)
		w.put32(s.off+4+8, prev.off)
		w.put32(s.off+4+12, s.refs)
	}
	// Close the bin with one free cell and round it to 4 KiB.
	used := len(w.buf)
	size := (used + 8 + 4095) &^ 4095
	free := size - used
	w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(free))
	w.buf = append(w.buf, make([]byte, free-4)...)
	copy(w.buf, "hbin")
	binary.LittleEndian.PutUint32(w.buf[8:], uint32(size))
	binary.LittleEndian.PutUint64(w.buf[0x14:], fileTime(h.LastWritten))

	base := make([]byte, 0x1000)
	copy(base, "regf")
	binary.LittleEndian.PutUint32(base[0x04:], 1)
	binary.LittleEndian.PutUint32(base[0x08:], 1)
	binary.LittleEndian.PutUint64(base[0x0C:], fileTime(h.LastWritten))
	binary.LittleEndian.PutUint32(base[0x14:], 1) // major
	binary.LittleEndian.PutUint32(base[0x18:], 5) // minor
	binary.LittleEndian.PutUint32(base[0x20:], 1) // file format: direct memory load
	binary.LittleEndian.PutUint32(base[0x24:], root)
	binary.LittleEndian.PutUint32(base[0x28:], uint32(size))
	binary.LittleEndian.PutUint32(base[0x2C:], 1) // clustering factor
	fn := utf16.Encode([]rune(h.FileName))
	if len(fn) > 31 {
		fn = fn[len(fn)-31:]
	}
	for i, u := range fn {
		binary.LittleEndian.PutUint16(base[0x30+2*i:], u)
	}
	binary.LittleEndian.PutUint32(base[0x1FC:], Checksum(base))
	return append(base, w.buf...), nil
}

// Checksum computes the base block checksum: the XOR of the first 127
// little-endian uint32s, with 0 written as 1 and 0xFFFFFFFF as 0xFFFFFFFE.
func Checksum(base []byte) uint32 {
	var x uint32
	for i := 0; i < 508; i += 4 {
		x ^= binary.LittleEndian.Uint32(base[i:])
	}
	switch x {
	case 0:
		return 1
	case 0xFFFFFFFF:
		return 0xFFFFFFFE
	}
	return x
}
