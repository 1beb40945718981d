// Package hive is a diagnose.FactSource that reads offline registry hives
// copied off a machine: SOFTWARE and SYSTEM (from
// C:\Windows\System32\config) and a user's NTUSER.DAT, any subset. It
// reads keys, values and key timestamps with
// www.velocidex.com/golang/regparser, and key security descriptors from
// the key's sk cell with the project's own parser.
//
// Paths map as follows: HKLM\SOFTWARE\... to the SOFTWARE hive,
// HKLM\SYSTEM\CurrentControlSet\... to the SYSTEM hive's ControlSet00N
// named by SYSTEM\Select\Current (other HKLM\SYSTEM\... paths directly),
// HKCU\... to NTUSER.DAT.
//
// Times: Facts.CollectedAt is the newest base block timestamp of the given
// hives (when Windows last wrote them, normally just before they were
// copied). A value's ReadAt is the last-written time of its key: Windows
// keeps no per-value time, and the key time is when the key or one of its
// values last changed, so it is an upper bound on when the value was set.
package hive

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/secdesc"
	"www.velocidex.com/golang/regparser"
)

// Hive is one opened hive file.
type Hive struct {
	// Kind is "SOFTWARE", "SYSTEM" or "NTUSER.DAT".
	Kind string
	// Path is the file path (or name) given to Open.
	Path string
	// Timestamp is the base block's last-written time.
	Timestamp time.Time
	// Dirty is true when the base block's sequence numbers differ: Windows
	// had not flushed the hive, and changes may be in its .LOG1/.LOG2
	// files.
	Dirty bool
	// ChecksumOK is false when the base block checksum does not match.
	ChecksumOK bool

	r    io.ReaderAt
	size int64
	reg  *regparser.Registry
}

// CorruptError reports a hive that cannot be read, naming the file.
type CorruptError struct {
	Path string
	Msg  string
}

// Error returns "hive PATH: what is wrong".
func (e *CorruptError) Error() string { return fmt.Sprintf("hive %s: %s", e.Path, e.Msg) }

const (
	baseBlockSize = 0x1000
	maxListCount  = 1 << 16
	nkCompName    = 0x20
	vkCompName    = 0x1
)

// OpenFile opens a hive file. The file is read into memory (hives are
// tens of MB at most).
func OpenFile(kind, path string) (*Hive, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("hive %s: %w", path, err)
	}
	return Open(kind, path, b)
}

// Open checks and opens a hive held in memory. name is used in errors and
// fact sources.
func Open(kind, name string, b []byte) (h *Hive, err error) {
	defer func() {
		if r := recover(); r != nil {
			h, err = nil, &CorruptError{name, fmt.Sprintf("malformed (%v)", r)}
		}
	}()
	if len(b) < baseBlockSize+0x20 {
		return nil, &CorruptError{name, fmt.Sprintf("%d bytes is too short for a registry hive (base block and one hive bin need %d)", len(b), baseBlockSize+0x20)}
	}
	if string(b[:4]) != "regf" {
		return nil, &CorruptError{name, fmt.Sprintf("not a registry hive (signature %q, want \"regf\")", b[:4])}
	}
	if string(b[baseBlockSize:baseBlockSize+4]) != "hbin" {
		return nil, &CorruptError{name, "no hive bin at offset 0x1000 (truncated or not a hive)"}
	}
	h = &Hive{Kind: kind, Path: name, r: bytes.NewReader(b), size: int64(len(b))}
	h.Dirty = binary.LittleEndian.Uint32(b[4:]) != binary.LittleEndian.Uint32(b[8:])
	var x uint32
	for i := 0; i < 508; i += 4 {
		x ^= binary.LittleEndian.Uint32(b[i:])
	}
	if x == 0 {
		x = 1
	} else if x == 0xFFFFFFFF {
		x = 0xFFFFFFFE
	}
	h.ChecksumOK = x == binary.LittleEndian.Uint32(b[0x1FC:])
	h.Timestamp = filetime(binary.LittleEndian.Uint64(b[0x0C:]))
	h.reg, err = regparser.NewRegistry(h.r)
	if err != nil {
		return nil, &CorruptError{name, err.Error()}
	}
	root := binary.LittleEndian.Uint32(b[0x24:])
	if nk := h.node(root); nk == nil {
		return nil, &CorruptError{name, fmt.Sprintf("root cell at 0x%X is not a key (nk) cell", root)}
	}
	return h, nil
}

func filetime(ft uint64) time.Time {
	if ft == 0 {
		return time.Time{}
	}
	return diagnose.FileTimeToTime(ft)
}

// node returns the key at cell offset off, or nil.
func (h *Hive) node(off uint32) *regparser.CM_KEY_NODE {
	if int64(off)+baseBlockSize+8 > h.size {
		return nil
	}
	return h.reg.Profile.HCELL(h.r, baseBlockSize+int64(off)).KeyNode()
}

func (h *Hive) u32(at int64) uint32 { return regparser.ParseUint32(h.r, at) }

// decodeName decodes a key or value name: Latin-1 when compressed, else
// UTF-16LE.
func decodeName(raw string, compressed bool) string {
	if compressed {
		r := make([]rune, len(raw))
		for i := 0; i < len(raw); i++ {
			r[i] = rune(raw[i])
		}
		return string(r)
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16([]byte(raw[2*i:]))
	}
	return string(utf16.Decode(u))
}

func keyName(k *regparser.CM_KEY_NODE) string {
	return decodeName(k.Name(), k.Flags()&nkCompName != 0)
}

// subkeys lists the subkeys of k, following lf/lh/li lists and one level
// of ri (as Windows writes them), with bounds on every count.
func (h *Hive) subkeys(k *regparser.CM_KEY_NODE) ([]*regparser.CM_KEY_NODE, error) {
	lists := k.SubKeyLists()
	if len(lists) == 0 || lists[0] == 0xFFFFFFFF {
		return nil, nil
	}
	return h.indexList(lists[0], 0)
}

func (h *Hive) indexList(off uint32, depth int) ([]*regparser.CM_KEY_NODE, error) {
	if int64(off)+baseBlockSize+8 > h.size {
		return nil, fmt.Errorf("subkey list at 0x%X is outside the file", off)
	}
	cell := h.reg.Profile.HCELL(h.r, baseBlockSize+int64(off))
	var out []*regparser.CM_KEY_NODE
	if fast := cell.KeyIndexFast(); fast != nil { // lf, lh
		n := int(fast.Count())
		for i := 0; i < n; i++ {
			child := h.u32(fast.Offset + 4 + 8*int64(i))
			if nk := h.node(child); nk != nil {
				out = append(out, nk)
			}
		}
		return out, nil
	}
	if idx := cell.KeyIndex(); idx != nil { // li, ri
		n := int(idx.Count())
		for i := 0; i < n; i++ {
			child := h.u32(idx.Offset + 4 + 4*int64(i))
			if nk := h.node(child); nk != nil {
				out = append(out, nk)
				continue
			}
			if depth > 0 {
				return nil, fmt.Errorf("nested ri subkey index at 0x%X", child)
			}
			sub, err := h.indexList(child, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		}
		return out, nil
	}
	return nil, fmt.Errorf("subkey list at 0x%X has signature 0x%04X, not lf/lh/li/ri", off, cell.Signature())
}

// Key finds a key by path relative to the hive root ("Microsoft\Windows");
// nil when absent.
func (h *Hive) Key(path string) (k *regparser.CM_KEY_NODE, err error) {
	defer func() {
		if r := recover(); r != nil {
			k, err = nil, &CorruptError{h.Path, fmt.Sprintf("malformed while looking up %s (%v)", path, r)}
		}
	}()
	k = h.node(binary.LittleEndian.Uint32(h.base(0x24)))
	for _, part := range strings.Split(path, `\`) {
		if part == "" {
			continue
		}
		subs, err := h.subkeys(k)
		if err != nil {
			return nil, &CorruptError{h.Path, fmt.Sprintf("%s: %v", path, err)}
		}
		var next *regparser.CM_KEY_NODE
		for _, s := range subs {
			if strings.EqualFold(keyName(s), part) {
				next = s
				break
			}
		}
		if next == nil {
			return nil, nil
		}
		k = next
	}
	return k, nil
}

func (h *Hive) base(off int64) []byte {
	b := make([]byte, 8)
	_, _ = h.r.ReadAt(b, off)
	return b
}

// KeyTime is the last-written time of a key.
func (h *Hive) KeyTime(k *regparser.CM_KEY_NODE) time.Time {
	return filetime(regparser.ParseUint64(h.r, k.Offset+4))
}

// Value reads a value of key k; ok is false when k has no such value.
func (h *Hive) Value(k *regparser.CM_KEY_NODE, name string) (v diagnose.RegValue, ok bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			ok, err = false, &CorruptError{h.Path, fmt.Sprintf("malformed value %q (%v)", name, r)}
		}
	}()
	vl := k.ValueList()
	n := vl.Count()
	if n == 0 {
		return v, false, nil
	}
	if n > maxListCount || int64(vl.List())+baseBlockSize+4*int64(n) > h.size {
		return v, false, &CorruptError{h.Path, fmt.Sprintf("key %q: value list of %d entries at 0x%X outside the file", keyName(k), n, vl.List())}
	}
	listAt := h.reg.Profile.HCELL(h.r, baseBlockSize+int64(vl.List())).Payload()
	for i := int64(0); i < int64(n); i++ {
		off := h.u32(listAt + 4*i)
		if int64(off)+baseBlockSize+8 > h.size {
			continue
		}
		vk := h.reg.Profile.HCELL(h.r, baseBlockSize+int64(off)).KeyValue()
		if vk == nil || !strings.EqualFold(decodeName(vk.ValueName(), vk.Flags()&vkCompName != 0), name) {
			continue
		}
		size := vk.DataSize()
		if size > h.size {
			return v, false, &CorruptError{h.Path, fmt.Sprintf("key %q value %q: data size %d larger than the file", keyName(k), name, size)}
		}
		d := vk.ValueData()
		data := d.Data
		if int64(len(data)) < size {
			return v, false, &CorruptError{h.Path, fmt.Sprintf("key %q value %q: %d of %d data bytes present", keyName(k), name, len(data), size)}
		}
		return diagnose.RegValue{Exists: true, Type: vk.Type(), Data: append([]byte(nil), data[:size]...)}, true, nil
	}
	return v, false, nil
}

// Security returns the self-relative security descriptor of key k from
// its sk cell (0x1000 + the nk's security offset: "sk", reserved,
// flink, blink, reference count, descriptor length, descriptor).
func (h *Hive) Security(k *regparser.CM_KEY_NODE) ([]byte, error) {
	off := k.Security()
	at := baseBlockSize + int64(off)
	if off == 0xFFFFFFFF || at+4+20 > h.size {
		return nil, fmt.Errorf("key %q: security cell offset 0x%X outside the file", keyName(k), off)
	}
	hdr := make([]byte, 24)
	if _, err := h.r.ReadAt(hdr, at); err != nil {
		return nil, err
	}
	cellSize := -int64(int32(binary.LittleEndian.Uint32(hdr)))
	if string(hdr[4:6]) != "sk" {
		return nil, fmt.Errorf("key %q: cell at 0x%X is %q, not an sk cell", keyName(k), off, hdr[4:6])
	}
	n := int64(binary.LittleEndian.Uint32(hdr[20:]))
	if cellSize < 24 || n > cellSize-24 || at+24+n > h.size {
		return nil, fmt.Errorf("key %q: sk cell at 0x%X: descriptor of %d bytes does not fit the cell (%d bytes)", keyName(k), off, n, cellSize)
	}
	sd := make([]byte, n)
	if _, err := h.r.ReadAt(sd, at+24); err != nil {
		return nil, err
	}
	return sd, nil
}

// Files names the hive files of a machine; empty fields are not given.
type Files struct {
	Software string // SOFTWARE
	System   string // SYSTEM
	User     string // NTUSER.DAT
}

// Source is a FactSource over offline hives.
type Source struct {
	Files Files
}

// Load returns a FactSource reading the given hives when asked for facts.
func Load(f Files) diagnose.FactSource { return &Source{Files: f} }

// Name implements diagnose.FactSource: "hives SOFTWARE, NTUSER.DAT (C:\cases\pc1)".
func (s *Source) Name() string {
	var kinds, dirs []string
	for _, f := range []struct{ kind, path string }{{"SOFTWARE", s.Files.Software}, {"SYSTEM", s.Files.System}, {"NTUSER.DAT", s.Files.User}} {
		if f.path == "" {
			continue
		}
		kinds = append(kinds, f.kind)
		if d := filepath.Dir(f.path); len(dirs) == 0 || dirs[len(dirs)-1] != d {
			dirs = append(dirs, d)
		}
	}
	return "hives " + strings.Join(kinds, ", ") + " (" + strings.Join(dirs, ", ") + ")"
}

// Facts implements diagnose.FactSource: it opens the hives and reads every
// value of diagnose.RegistryValues and the descriptor of every key of
// diagnose.SecuredKeys that the given hives hold.
func (s *Source) Facts(ctx context.Context) (*diagnose.Facts, error) {
	var hs hives
	for _, f := range []struct{ kind, path string }{{"SOFTWARE", s.Files.Software}, {"SYSTEM", s.Files.System}, {"NTUSER.DAT", s.Files.User}} {
		if f.path == "" {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		h, err := OpenFile(f.kind, f.path)
		if err != nil {
			return nil, err
		}
		hs.set(h)
	}
	if hs.software == nil && hs.system == nil && hs.user == nil {
		return nil, errors.New("no hive files given (SOFTWARE, SYSTEM or NTUSER.DAT)")
	}
	return hs.facts()
}

// FactsFrom reads facts from already opened hives (any may be nil).
func FactsFrom(software, system, user *Hive) (*diagnose.Facts, error) {
	hs := hives{software: software, system: system, user: user}
	return hs.facts()
}

type hives struct {
	software, system, user *Hive
	controlSet             string
	controlSetErr          string
}

func (hs *hives) set(h *Hive) {
	switch h.Kind {
	case "SOFTWARE":
		hs.software = h
	case "SYSTEM":
		hs.system = h
	default:
		hs.user = h
	}
}

func source(h *Hive, extra string) string {
	s := fmt.Sprintf("hive %s (%s)", h.Kind, h.Path)
	if extra != "" {
		s += ", " + extra
	}
	return s
}

// resolve maps a full registry path to a hive and a path inside it.
func (hs *hives) resolve(full string) (h *Hive, rel, extra string, need string) {
	switch {
	case hasPrefixFold(full, `HKLM\SOFTWARE\`):
		return hs.software, full[len(`HKLM\SOFTWARE\`):], "", "SOFTWARE"
	case hasPrefixFold(full, `HKLM\SYSTEM\CurrentControlSet\`):
		if hs.system == nil || hs.controlSet == "" {
			return nil, "", "", "SYSTEM"
		}
		return hs.system, hs.controlSet + `\` + full[len(`HKLM\SYSTEM\CurrentControlSet\`):], hs.controlSet, "SYSTEM"
	case hasPrefixFold(full, `HKLM\SYSTEM\`):
		return hs.system, full[len(`HKLM\SYSTEM\`):], "", "SYSTEM"
	case hasPrefixFold(full, `HKCU\`):
		return hs.user, full[len(`HKCU\`):], "", "NTUSER.DAT"
	}
	return nil, "", "", ""
}

func hasPrefixFold(s, p string) bool { return len(s) >= len(p) && strings.EqualFold(s[:len(p)], p) }

func (hs *hives) facts() (f *diagnose.Facts, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("offline hives: malformed data (%v)", r)
		}
	}()
	f = &diagnose.Facts{Registry: map[string]diagnose.Fact[diagnose.RegValue]{}, KeySecurity: map[string]diagnose.Fact[[]byte]{}}
	for _, h := range []*Hive{hs.software, hs.system, hs.user} {
		if h == nil {
			continue
		}
		if h.Timestamp.After(f.CollectedAt) {
			f.CollectedAt = h.Timestamp
		}
		if h.Dirty {
			f.Notes = append(f.Notes, fmt.Sprintf("hive %s (%s) was not flushed (sequence numbers differ): recent changes may be only in its .LOG1/.LOG2 files; copy them too, or export the hive with `reg save`", h.Kind, h.Path))
		}
		if !h.ChecksumOK {
			f.Notes = append(f.Notes, fmt.Sprintf("hive %s (%s): base block checksum does not match; values were read anyway", h.Kind, h.Path))
		}
	}
	if hs.system != nil {
		if err := hs.selectControlSet(); err != nil {
			return nil, err
		}
	}
	missing := map[string]bool{}
	for _, path := range diagnose.RegistryValues {
		h, rel, extra, need := hs.resolve(path)
		if h == nil {
			if hs.system != nil && need == "SYSTEM" && hs.controlSetErr != "" {
				f.Registry[path] = diagnose.Fact[diagnose.RegValue]{Err: hs.controlSetErr, Source: source(hs.system, "")}
				continue
			}
			missing[need] = true
			continue
		}
		keyPath, valueName := splitValue(rel)
		k, err := h.Key(keyPath)
		if err != nil {
			return nil, err
		}
		fact := diagnose.Fact[diagnose.RegValue]{Known: true, Source: source(h, extra), ReadAt: h.Timestamp}
		if k != nil {
			fact.ReadAt = h.KeyTime(k)
			v, ok, err := h.Value(k, valueName)
			if err != nil {
				return nil, err
			}
			if ok {
				fact.Value = v
			}
		}
		f.Registry[path] = fact
	}
	for _, path := range diagnose.SecuredKeys {
		h, rel, extra, need := hs.resolve(path + `\`)
		if h == nil {
			missing[need] = true
			continue
		}
		k, err := h.Key(strings.TrimSuffix(rel, `\`))
		if err != nil {
			return nil, err
		}
		fact := diagnose.Fact[[]byte]{Source: source(h, extra), ReadAt: h.Timestamp}
		switch {
		case k == nil:
			fact.Err = "key does not exist"
		default:
			fact.ReadAt = h.KeyTime(k)
			sd, err := h.Security(k)
			if err == nil {
				_, err = secdesc.Parse(sd)
			}
			if err != nil {
				fact.Err = "unreadable security descriptor: " + err.Error()
			} else {
				fact.Known, fact.Value = true, sd
			}
		}
		f.KeySecurity[path] = fact
	}
	if hs.system != nil && hs.controlSet != "" {
		hs.services(f)
	}
	for _, need := range []string{"SOFTWARE", "SYSTEM", "NTUSER.DAT"} {
		if missing[need] {
			f.Notes = append(f.Notes, fmt.Sprintf("no %s hive given: facts under %s were not read", need, map[string]string{
				"SOFTWARE": `HKLM\SOFTWARE`, "SYSTEM": `HKLM\SYSTEM`, "NTUSER.DAT": `HKCU (the user's NTUSER.DAT)`}[need]))
		}
	}
	f.Notes = append(f.Notes, "offline hives hold no certificate chains, clock comparison or service run states")
	return f, nil
}

// selectControlSet reads SYSTEM\Select\Current.
func (hs *hives) selectControlSet() error {
	k, err := hs.system.Key("Select")
	if err != nil {
		return err
	}
	if k == nil {
		hs.controlSetErr = `SYSTEM hive has no Select key: cannot tell which ControlSet is CurrentControlSet`
		return nil
	}
	v, ok, err := hs.system.Value(k, "Current")
	if err != nil {
		return err
	}
	n, isDW := v.DWORD()
	if !ok || !isDW || n == 0 || n > 999 {
		hs.controlSetErr = `SYSTEM\Select\Current is missing or not a DWORD 1-999: cannot tell which ControlSet is CurrentControlSet`
		return nil
	}
	hs.controlSet = fmt.Sprintf("ControlSet%03d", n)
	return nil
}

// services fills service start types from the SYSTEM hive; the run state
// of an offline machine is unknown.
func (hs *hives) services(f *diagnose.Facts) {
	f.Services = map[string]diagnose.Fact[diagnose.Service]{}
	for _, name := range diagnose.Services {
		k, err := hs.system.Key(hs.controlSet + `\Services\` + name)
		fact := diagnose.Fact[diagnose.Service]{Source: source(hs.system, hs.controlSet), ReadAt: hs.system.Timestamp}
		if err != nil || k == nil {
			fact.Err = "service key not found"
			f.Services[name] = fact
			continue
		}
		fact.ReadAt = hs.system.KeyTime(k)
		start, ok, _ := hs.system.Value(k, "Start")
		st, isDW := start.DWORD()
		if !ok || !isDW || diagnose.StartType(st, false) == "" {
			fact.Err = "no valid Start value"
			f.Services[name] = fact
			continue
		}
		delayed := false
		if st == 2 {
			if d, ok, _ := hs.system.Value(k, "DelayedAutostart"); ok {
				v, _ := d.DWORD()
				delayed = v == 1
			}
		}
		typ := diagnose.StartType(st, delayed)
		fact.Known = true
		fact.Value = diagnose.Service{Name: name, State: "unknown", StartType: typ}
		f.Services[name] = fact
	}
}

func splitValue(rel string) (key, value string) {
	i := strings.LastIndexByte(rel, '\\')
	if i < 0 {
		return "", rel
	}
	return rel[:i], rel[i+1:]
}
