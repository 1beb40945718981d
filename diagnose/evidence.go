package diagnose

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/wulog/wulog/hresult"
	"github.com/wulog/wulog/logparse"
)

// Limits that keep an [Evidence] bounded whatever the size of its input.
const (
	// DefaultMaxChains is the default cap on distinct failure chains.
	DefaultMaxChains = 2048
	// maxCodes caps the distinct failure codes counted.
	maxCodes = 1024
	// maxThreads caps the per-thread context kept for endpoint
	// attribution and open operations; the map is reset when full.
	maxThreads = 4096
	// maxOps caps the distinct operations (normalized messages) per chain.
	maxOps = 8
	// maxOpText caps the length of a normalized operation.
	maxOpText = 96
	// maxRaw caps the message prefix remembered to recognize repeats.
	maxRaw = 256
	// maxText caps the length of a sampled message.
	maxText = 2048
	// maxObserved caps distinct versions, proxies and similar values.
	maxObserved = 8
	// maxJumps caps the clock jumps kept (all are counted).
	maxJumps = 32
	// maxHosts caps the interned endpoint host names.
	maxHosts = 1024
)

// Clock-jump detection. Windows Update writes records in time order; a
// step back in time means the clock was set back (or a time zone changed
// under a legacy log). Get-WindowsUpdateLog on Windows 10 has a decoding
// artefact: a single record 60 s early whose fraction is rounded to the
// millisecond (".3750000"); it is counted in ClockArtefacts and ignored.
const (
	// JumpThreshold is the smallest step back in time reported as a jump.
	// Smaller steps occur when several processes write a legacy log.
	JumpThreshold = 5 * time.Minute
	// threadContextTTL is how long a URL seen on a thread is used to name
	// the endpoint of that thread's later failures.
	threadContextTTL = 5 * time.Minute
	// threadContextLines replaces threadContextTTL for records without
	// time (pasted excerpts).
	threadContextLines = 500
)

// Line is a log line kept as evidence: where it is and what it says.
type Line struct {
	File      string    `json:"file,omitempty"`
	Line      int64     `json:"line"`
	Time      time.Time `json:"time,omitzero"`
	Component string    `json:"component,omitempty"`
	// Text is the record's message.
	Text string `json:"text"`
}

// Where returns "file:line".
func (l Line) Where() string {
	f := l.File
	if f == "" {
		f = "log"
	}
	return fmt.Sprintf("%s:%d", f, l.Line)
}

// Cite turns the line into a finding's evidence.
func (l Line) Cite() Citation {
	f := l.File
	if f == "" {
		f = "log"
	}
	text := l.Text
	if l.Component != "" {
		text = l.Component + "  " + text
	}
	if !l.Time.IsZero() {
		text = l.Time.Format("2006-01-02 15:04:05.000") + "  " + text
	}
	return Citation{Source: f, Line: l.Line, Text: text}
}

// Op is one kind of failing operation within a chain: the message with
// its marker, code and numbers removed, and how often it occurred.
type Op struct {
	Text  string `json:"text"`
	Count int64  `json:"count"`
}

// FailureChain groups the failures that share a component, a code and an
// endpoint.
type FailureChain struct {
	Component string `json:"component"`
	Code      uint32 `json:"code"`
	// Endpoint is the host the failing requests went to ("" when the log
	// does not say): from a URL in the record, or else from the last URL
	// seen on the same thread shortly before.
	Endpoint string    `json:"endpoint,omitempty"`
	First    time.Time `json:"first,omitzero"`
	Last     time.Time `json:"last,omitzero"`
	Count    int64     `json:"count"`
	// Retries counts records that announce a retry ("Will retry",
	// "retrying"); MaxRetryCounter is the highest "Retry Counter:N" seen,
	// -1 when none.
	Retries         int64 `json:"retries"`
	MaxRetryCounter int   `json:"max_retry_counter"`
	// Samples are the first two and the last occurrence.
	Samples []Line `json:"samples"`
	// Ops are the distinct operations that failed, most frequent first;
	// OpsOverflow counts occurrences beyond the first maxOps operations.
	Ops         []Op  `json:"ops"`
	OpsOverflow int64 `json:"ops_overflow,omitempty"`

	// last is the latest occurrence after the first two (Count > 2),
	// added to Samples by Finish.
	last lineBuf
	// seen remembers, for each operation (and, at maxOps, for the
	// occurrences beyond the cap), the last message that normalized to
	// it, so that repeated messages are not normalized again.
	seen   [maxOps + 1]opKey
	lastOp int
}

// opKey is a message prefix that determines a normalized operation: a
// message equal to raw (whole) or starting with raw (not whole)
// normalizes to the same operation.
type opKey struct {
	raw   []byte
	whole bool
	ok    bool
}

func (k *opKey) match(msg []byte) bool {
	if !k.ok {
		return false
	}
	if k.whole {
		return bytes.Equal(msg, k.raw)
	}
	return bytes.HasPrefix(msg, k.raw)
}

// OnlyOps reports whether every occurrence of the chain is one of the
// operations for which match returns true.
func (c *FailureChain) OnlyOps(match func(op string) bool) bool {
	if c.OpsOverflow > 0 {
		return false
	}
	for _, o := range c.Ops {
		if !match(o.Text) {
			return false
		}
	}
	return true
}

// CodeStat counts one failure code over the whole input.
type CodeStat struct {
	Code  uint32    `json:"code"`
	Count int64     `json:"count"`
	First time.Time `json:"first,omitzero"`
	Last  time.Time `json:"last,omitzero"`
	// Sample is the first occurrence.
	Sample Line `json:"sample"`
}

// OpKind is a kind of Windows Update operation.
type OpKind uint8

// Operation kinds.
const (
	Scan OpKind = iota
	Download
	Install
	numOpKinds
)

// String returns the operation kind as written in reports ("scan", "download", ...).
func (k OpKind) String() string {
	switch k {
	case Scan:
		return "scan"
	case Download:
		return "download"
	case Install:
		return "install"
	}
	return "op"
}

// Outcome is how one operation ended.
type Outcome struct {
	Kind   OpKind `json:"kind"`
	Code   uint32 `json:"code"`
	Caller string `json:"caller,omitempty"`
	Line   Line   `json:"line"`
}

// Failed reports whether the outcome is a failure.
func (o Outcome) Failed() bool { return hresult.IsFailure(o.Code) }

// OpStats summarizes the outcomes of one kind of operation.
type OpStats struct {
	Succeeded int64 `json:"succeeded"`
	Failed    int64 `json:"failed"`
	// FirstFailure and LastFailure are the first and last failed
	// outcomes; LastSuccess the last successful one; Last the last
	// outcome of any kind.
	FirstFailure *Outcome `json:"first_failure,omitempty"`
	LastFailure  *Outcome `json:"last_failure,omitempty"`
	LastSuccess  *Outcome `json:"last_success,omitempty"`
	Last         *Outcome `json:"last,omitempty"`
	// FailCodes counts failed outcomes by code.
	FailCodes map[uint32]int64 `json:"fail_codes,omitempty"`
}

// Total is the number of outcomes seen.
func (s *OpStats) Total() int64 { return s.Succeeded + s.Failed }

// FailingNow reports whether the last outcome failed.
func (s *OpStats) FailingNow() bool { return s.Last != nil && s.Last.Failed() }

// ClockJump is a step back in the log's time.
type ClockJump struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	// Line is the first record after the step.
	Line Line `json:"line"`
	// Before is the last record before the step.
	Before Line `json:"before"`
	// ZoneChange says "-0700 -> +0530" when a legacy log's time zone
	// changed at the step.
	ZoneChange string `json:"zone_change,omitempty"`
}

// Delta is To - From (negative: the clock went back).
func (j ClockJump) Delta() time.Duration { return j.To.Sub(j.From) }

// Observed is a value seen in the log (a version, a proxy), with where it
// was first seen and how often.
type Observed struct {
	Value string `json:"value"`
	Count int64  `json:"count"`
	First Line   `json:"first"`
}

// UpdateServer says where the client looked for updates.
type UpdateServer struct {
	// Seen is true when the log states it ("WSUS server: ...").
	Seen bool `json:"seen"`
	// WSUS is the WSUS server URL, "" for Microsoft Update.
	WSUS string `json:"wsus,omitempty"`
	Line Line   `json:"line"`
}

// Evidence is what the rules know from the logs: a bounded summary folded
// from the record stream in one pass. Memory is bounded by MaxChains and
// the fixed caps above, not by the size of the input.
//
// Use [NewEvidence], call [Evidence.Add] for every record, then
// [Evidence.Finish] once before reading it.
type Evidence struct {
	// MaxChains caps the distinct failure chains kept; failures beyond
	// it are counted in ChainOverflow. Set it before the first Add.
	MaxChains int `json:"-"`

	// Files are the input names seen, in order.
	Files []string `json:"files"`
	// Records counts records (not continuation lines); Unparsed counts
	// lines that were not records.
	Records  int64 `json:"records"`
	Unparsed int64 `json:"unparsed"`
	// First and Last are the earliest and latest record times.
	First time.Time `json:"first,omitzero"`
	Last  time.Time `json:"last,omitzero"`
	// ZoneKnown is false when times are wall clock with no zone
	// (Get-WindowsUpdateLog text): ages compared with UTC facts are then
	// uncertain by up to 14 hours.
	ZoneKnown bool `json:"zone_known"`
	// Formats counts records by format.
	Formats [logparse.NumFormats]int64 `json:"-"`

	// Chains are the failure chains in order of first occurrence.
	Chains []*FailureChain `json:"chains"`
	// ChainOverflow counts failures not kept in a chain because
	// MaxChains was reached.
	ChainOverflow int64 `json:"chain_overflow,omitempty"`
	// Codes counts failure codes over the whole input.
	Codes map[uint32]*CodeStat `json:"codes"`
	// CodeOverflow counts failures whose code was not counted because
	// maxCodes distinct codes had been seen.
	CodeOverflow int64 `json:"code_overflow,omitempty"`

	// Ops summarizes scans, downloads and installs.
	Ops [numOpKinds]OpStats `json:"ops"`
	// ServiceStarts counts "Service startup" banners.
	ServiceStarts    int64        `json:"service_starts"`
	LastServiceStart Line         `json:"last_service_start"`
	ClockJumps       []ClockJump  `json:"clock_jumps,omitempty"`
	ClockJumpCount   int64        `json:"clock_jump_count"`
	ClockArtefacts   int64        `json:"clock_artefacts"`
	AgentVersions    []Observed   `json:"agent_versions,omitempty"`
	OSVersions       []Observed   `json:"os_versions,omitempty"`
	Server           UpdateServer `json:"server"`
	Proxies          []Observed   `json:"proxies,omitempty"`
	ProxyErrors      int64        `json:"proxy_errors"`
	FirstProxyError  Line         `json:"first_proxy_error"`

	chainIdx map[chainKey]*FailureChain
	threads  map[uint64]*threadState
	hosts    map[string]string
	curFile  string
	timed    bool // a record with a time was seen
	// lastIsPrev says that Last is prev.time, not yet copied to Last.
	lastIsPrev bool
	prev       prevRecord
	firstN     int64
	lastN      int64
	zone       string
	zoneNew    string
	finished   bool
	opBuf      []byte
	// Caches of the last lookups, before the maps: records come in runs
	// of the same thread and code, and failures alternate between a few
	// chains and hosts.
	lastTK    uint64
	lastTS    *threadState
	recent    [16]*FailureChain // by a hash of the chain key
	lastCode  *CodeStat
	hostCache [4]hostEntry
	hostNext  uint8
	// What Finish turns into Ops' outcome pointers, LastServiceStart and
	// Server: the last ones seen are kept in reused buffers until then.
	outs         [numOpKinds]outcomeSlots
	outSeq       int64
	serviceStart lineBuf
	server       struct {
		seen bool
		wsus []byte
		line lineBuf
	}
}

// prevRecord is what the clock-jump detection keeps of the last record.
type prevRecord struct {
	set  bool
	n    int64 // time in Unix nanoseconds
	time time.Time
	file string
	line int64
	comp string
}

type chainKey struct {
	comp string
	code uint32
	host string
}

type threadState struct {
	host     string
	hostAt   time.Time
	hostLine int64
	open     openOp
}

// openOp is a legacy operation started on a thread ("** START **
// Agent: Finding updates"), waiting for its "** END **".
type openOp struct {
	active bool
	kind   OpKind
	code   uint32
	caller []byte
}

// NewEvidence returns an empty Evidence.
func NewEvidence() *Evidence {
	return &Evidence{
		MaxChains: DefaultMaxChains,
		Codes:     make(map[uint32]*CodeStat),
		chainIdx:  make(map[chainKey]*FailureChain),
		threads:   make(map[uint64]*threadState),
		hosts:     make(map[string]string),
	}
}

// Empty reports whether no record was folded.
func (e *Evidence) Empty() bool { return e.Records == 0 }

// Add folds one record. The record's slices are not retained.
func (e *Evidence) Add(r *logparse.Record) {
	switch r.Format {
	case logparse.Unparsed:
		e.Unparsed++
		return
	case logparse.Continuation:
		return
	}
	if !sameString(r.File, e.curFile) {
		e.curFile = r.File
		if r.File != "" {
			e.addFile(r.File)
		}
	}
	e.Records++
	if int(r.Format) < len(e.Formats) {
		e.Formats[r.Format]++
	}
	if !r.Time.IsZero() {
		e.clock(r)
	}
	msg := r.Message
	if len(r.URLs) > 0 {
		e.sawURL(r)
	}
	switch r.Component {
	case "Agent":
		e.agentLine(r, msg)
	case "Misc", "PT":
		if r.Marker == logparse.MarkerWarning {
			e.proxyList(r, msg)
		}
	case "WebServices":
		e.webServicesLine(r, msg)
	case "Report", "Setup":
		e.versionLine(r, msg)
	case "DownloadManager":
		e.downloadLine(r, msg)
	case "UDP", "Deployment":
		if bytes.HasPrefix(msg, bDeploymentJob) {
			e.installLine(r, msg)
		}
	}
	switch r.Marker {
	case logparse.MarkerStart, logparse.MarkerEnd, logparse.MarkerWarning:
		e.outcome(r, msg)
	}
	if len(r.Codes) > 0 {
		e.failures(r, msg)
	}
}

// sameString is a == b, without a call when both are the same string in
// memory, as the file names of consecutive records are.
func sameString(a, b string) bool {
	return len(a) == len(b) && (unsafe.StringData(a) == unsafe.StringData(b) || a == b)
}

func (e *Evidence) addFile(f string) {
	for _, g := range e.Files {
		if g == f {
			return
		}
	}
	e.Files = append(e.Files, f)
}

func lineOf(r *logparse.Record) Line {
	text := r.Message
	if len(text) > maxText {
		text = text[:maxText]
	}
	return Line{File: r.File, Line: r.Line, Time: r.Time, Component: r.Component, Text: string(text)}
}

// clock tracks first/last times and steps back in time.
func (e *Evidence) clock(r *logparse.Record) {
	tn := r.Time.UnixNano()
	t := r.Time
	// Times mostly increase: the latest is then the previous record's,
	// stored below, and Last is set only when that changes.
	switch {
	case !e.timed:
		e.timed = true
		e.First, e.firstN = t, tn
		e.lastN, e.lastIsPrev = tn, true
	case tn > e.lastN:
		e.lastN, e.lastIsPrev = tn, true
	default:
		if e.lastIsPrev {
			e.Last, e.lastIsPrev = e.prev.time, false
		}
		if tn < e.firstN {
			e.First, e.firstN = t, tn
		}
	}
	if r.Format == logparse.Legacy && r.Component == "Misc" {
		e.legacyZone(r.Message)
	}
	if r.ZoneKnown != e.ZoneKnown {
		// A legacy log whose first records came before any "tz:" banner:
		// wall clock before, exact instants after. Not comparable.
		e.prev.set = false
		e.ZoneKnown = r.ZoneKnown
	}
	if d := time.Duration(tn - e.prev.n); e.prev.set && d < -30*time.Second {
		if isRoundingArtefact(d, t) {
			e.ClockArtefacts++
			return // the artefact record is out of line: keep the previous time
		}
		if d <= -JumpThreshold {
			e.jump(r)
		}
	}
	if e.zoneNew != "" {
		e.zoneNew = ""
	}
	// Field by field: a composite literal is built on the stack and
	// copied, which stalls on store forwarding, for every record.
	p := &e.prev
	p.set, p.n, p.time = true, tn, t
	p.file, p.line, p.comp = r.File, r.Line, r.Component
}

// jump notes a step back in time from the previous record to r.
func (e *Evidence) jump(r *logparse.Record) {
	e.ClockJumpCount++
	if len(e.ClockJumps) < maxJumps {
		p := &e.prev
		before := Line{File: p.file, Line: p.line, Time: p.time, Component: p.comp}
		e.ClockJumps = append(e.ClockJumps, ClockJump{From: p.time, To: r.Time, Line: lineOf(r), Before: before, ZoneChange: e.zoneNew})
	}
}

// isRoundingArtefact reports whether a step back of d to t is the
// Get-WindowsUpdateLog artefact: 60 s back (to the millisecond) with a
// fraction rounded to whole milliseconds.
func isRoundingArtefact(d time.Duration, t time.Time) bool {
	off := d + time.Minute
	if off < 0 {
		off = -off
	}
	return off <= time.Millisecond && t.Nanosecond()%int(time.Millisecond) == 0
}

// legacyZone notes the "tz: -0700" of a legacy "Logging initialized"
// banner, to explain a step in time at a time-zone change.
func (e *Evidence) legacyZone(msg []byte) {
	i := bytes.Index(msg, []byte("Logging initialized"))
	if i < 0 {
		return
	}
	j := bytes.Index(msg[i:], []byte("tz: "))
	if j < 0 {
		return
	}
	z := msg[i+j+4:]
	if k := bytes.IndexAny(z, ") "); k >= 0 {
		z = z[:k]
	}
	if e.zone == string(z) {
		return // the same zone: nothing to allocate
	}
	zone := string(z)
	if e.zone != "" {
		e.zoneNew = e.zone + " -> " + zone
	}
	e.zone = zone
}

func threadKey(r *logparse.Record) uint64 { return uint64(r.PID)<<32 | uint64(r.TID) }

// thread returns the state of r's thread, creating it if needed.
func (e *Evidence) thread(r *logparse.Record) *threadState {
	k := threadKey(r)
	if e.lastTS != nil && e.lastTK == k {
		return e.lastTS
	}
	ts := e.threads[k]
	if ts == nil {
		if len(e.threads) >= maxThreads {
			clear(e.threads)
		}
		ts = &threadState{}
		e.threads[k] = ts
	}
	e.lastTK, e.lastTS = k, ts
	return ts
}

// findThread returns the state of r's thread, nil if there is none.
func (e *Evidence) findThread(r *logparse.Record) *threadState {
	k := threadKey(r)
	if e.lastTS != nil && e.lastTK == k {
		return e.lastTS
	}
	ts := e.threads[k]
	if ts != nil {
		e.lastTK, e.lastTS = k, ts
	}
	return ts
}

// sawURL remembers the endpoint a thread talks to.
func (e *Evidence) sawURL(r *logparse.Record) {
	h := hostOf(r.Text(r.URLs[0]))
	if len(h) == 0 {
		return
	}
	ts := e.thread(r)
	ts.host = e.hostName(h)
	ts.hostAt = r.Time
	ts.hostLine = r.Line
	if r.Component == "SLS" && bytes.Contains(r.Message, []byte("/SLS/")) {
		e.slsVersions(r, r.Text(r.URLs[0]))
	}
}

// hostOf returns the host of a URL, without port.
func hostOf(u []byte) []byte {
	i := nScheme.index(u)
	if i < 0 {
		return nil
	}
	h := u[i+3:]
	if at := bytes.IndexByte(h, '@'); at >= 0 && at < indexIn(h, &pathStart) {
		h = h[at+1:]
	}
	if j := indexIn(h, &hostEnd); j >= 0 {
		h = h[:j]
	}
	return h
}

var nScheme = newNeedle("://", ':')

// needle is a byte string searched for by one of its rarer bytes: where
// bytes.Index looks for the first byte ("E" of "Ending", frequent in the
// GUIDs of the messages that are searched), a needle looks for the byte
// chosen with bytes.IndexByte and compares around it.
type needle struct {
	s []byte
	k int // index in s of the byte looked for
}

func newNeedle(s string, rare byte) *needle {
	k := strings.IndexByte(s, rare)
	if k < 0 {
		panic("needle: " + string(rare) + " is not in " + s)
	}
	return &needle{s: []byte(s), k: k}
}

// index is bytes.Index(b, n.s).
func (n *needle) index(b []byte) int {
	s, k := n.s, n.k
	last := len(b) - len(s) + k // the last place s[k] can be
	for i := k; i <= last; i++ {
		j := bytes.IndexByte(b[i:last+1], s[k])
		if j < 0 {
			return -1
		}
		i += j
		if bytes.Equal(b[i-k:i-k+len(s)], s) {
			return i - k
		}
	}
	return -1
}

// in is bytes.Contains(b, n.s).
func (n *needle) in(b []byte) bool { return n.index(b) >= 0 }

// byteSet is a set of bytes.
type byteSet [256]bool

func newByteSet(chars string) (s byteSet) {
	for i := range len(chars) {
		s[chars[i]] = true
	}
	return s
}

var (
	pathStart = newByteSet("/?#")
	hostEnd   = newByteSet(":/?#>'\" \t")
)

// indexIn returns the index of the first byte of b in set, -1 if none.
func indexIn(b []byte, set *byteSet) int {
	for i, c := range b {
		if set[c] {
			return i
		}
	}
	return -1
}

// hostName returns the interned lower-case host name h, from a small
// cache of the hosts seen last.
func (e *Evidence) hostName(h []byte) string {
	for i := range e.hostCache {
		if c := &e.hostCache[i]; c.raw != nil && bytes.Equal(h, c.raw) {
			return c.host
		}
	}
	s := e.intern(h)
	c := &e.hostCache[e.hostNext%uint8(len(e.hostCache))]
	e.hostNext++
	c.raw = append(c.raw[:0], h...)
	c.host = s
	return s
}

// hostEntry is an entry of Evidence.hostCache.
type hostEntry struct {
	raw  []byte
	host string
}

func (e *Evidence) intern(h []byte) string {
	var buf [256]byte
	lh := buf[:0]
	for _, c := range h {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lh = append(lh, c)
	}
	if s, ok := e.hosts[string(lh)]; ok {
		return s
	}
	s := string(lh)
	if len(e.hosts) < maxHosts {
		e.hosts[s] = s
	}
	return s
}

// endpoint returns the host a failure on r's thread is attributed to.
func (e *Evidence) endpoint(r *logparse.Record) string {
	if len(r.URLs) > 0 {
		if h := hostOf(r.Text(r.URLs[0])); len(h) > 0 {
			return e.hostName(h)
		}
	}
	ts := e.findThread(r)
	if ts == nil || ts.host == "" {
		return ""
	}
	if !r.Time.IsZero() && !ts.hostAt.IsZero() {
		if d := r.Time.Sub(ts.hostAt); d < 0 || d > threadContextTTL {
			return ""
		}
		return ts.host
	}
	if d := r.Line - ts.hostLine; d < 0 || d > threadContextLines {
		return ""
	}
	return ts.host
}

// slsVersions reads the OS build and agent version from an SLS request
// URL: ".../SLS/{id}/x64/10.0.19045.2728/0?...&WUA=10.0.19041.2546&...".
func (e *Evidence) slsVersions(r *logparse.Record, u []byte) {
	if i := bytes.Index(u, []byte("/x64/")); i >= 0 {
		v := u[i+5:]
		if j := bytes.IndexByte(v, '/'); j > 0 {
			e.OSVersions = observe(e.OSVersions, v[:j], r)
		}
	} else if i := bytes.Index(u, []byte("/x86/")); i >= 0 {
		v := u[i+5:]
		if j := bytes.IndexByte(v, '/'); j > 0 {
			e.OSVersions = observe(e.OSVersions, v[:j], r)
		}
	}
	if i := bytes.Index(u, []byte("WUA=")); i >= 0 {
		v := u[i+4:]
		if j := bytes.IndexAny(v, "&# "); j >= 0 {
			v = v[:j]
		}
		e.AgentVersions = observe(e.AgentVersions, v, r)
	}
}

func observe(list []Observed, v []byte, r *logparse.Record) []Observed {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return list
	}
	for i := range list {
		if list[i].Value == string(v) {
			list[i].Count++
			return list
		}
	}
	if len(list) >= maxObserved {
		return list
	}
	return append(list, Observed{Value: string(v), Count: 1, First: lineOf(r)})
}

var (
	bClientVersion = []byte("WU client version ")
	bWSUSServer    = []byte("WSUS server: ")
	bAccessType    = []byte("Access type: ")
	bProxyList     = []byte("Proxy List used: <")
	bOSVersion     = []byte("OS Version = ")
	bCoreVersion   = []byte("Client version: Core: ")
)

// agentLine notes the agent version, update server and proxy access type
// of "WU client version ...", "WSUS server: ..." and "Access type: ..."
// (after any blanks and asterisks).
func (e *Evidence) agentLine(r *logparse.Record, msg []byte) {
	i := 0
	for i < len(msg) && (msg[i] == ' ' || msg[i] == '*') {
		i++
	}
	m := msg[i:]
	if len(m) == 0 || m[0] != 'W' && m[0] != 'A' {
		return // none of the prefixes below
	}
	switch {
	case bytes.HasPrefix(m, bClientVersion):
		e.AgentVersions = observe(e.AgentVersions, m[len(bClientVersion):], r)
	case bytes.HasPrefix(m, bWSUSServer):
		v := bytes.TrimSpace(m[len(bWSUSServer):])
		if len(v) == 0 || bytes.EqualFold(v, []byte("(null)")) || bytes.EqualFold(v, []byte("<NULL>")) {
			v = nil
		}
		e.server.seen = true
		e.server.wsus = append(e.server.wsus[:0], v...)
		e.server.line.set(r)
	case bytes.HasPrefix(m, bAccessType):
		e.Proxies = observe(e.Proxies, m[len(bAccessType):], r)
	}
}

func (e *Evidence) versionLine(r *logparse.Record, msg []byte) {
	if i := bytes.Index(msg, bOSVersion); i >= 0 {
		e.OSVersions = observe(e.OSVersions, msg[i+len(bOSVersion):], r)
	} else if i := bytes.Index(msg, bCoreVersion); i >= 0 {
		v := msg[i+len(bCoreVersion):]
		if j := bytes.IndexByte(v, ' '); j >= 0 {
			v = v[:j]
		}
		e.AgentVersions = observe(e.AgentVersions, v, r)
	}
}

var (
	bWSError        = []byte("WS error:")
	bProxyBehavior  = []byte("Proxy Behavior:")
	bExhausted      = []byte("exhausted")
	bRoxy           = []byte("roxy")
	bDOJob          = []byte("DO job ")
	bDeploymentJob  = []byte("Deployment job Id")
	bDownloadFailed = []byte("download")
)

// proxyList notes the proxy of a legacy "SendRequest failed ... Proxy List
// used: <...>" warning.
func (e *Evidence) proxyList(r *logparse.Record, msg []byte) {
	i := bytes.Index(msg, bProxyList)
	if i < 0 {
		return
	}
	v := msg[i+len(bProxyList):]
	if j := bytes.IndexByte(v, '>'); j >= 0 {
		v = v[:j]
	}
	if bytes.Equal(v, []byte("(null)")) {
		v = []byte("direct (no proxy)")
	}
	e.Proxies = observe(e.Proxies, v, r)
}

// webServicesLine counts proxy errors: "WS error: The given proxy cannot
// be reached." (in the system's language: any "WS error:" that names the
// proxy) and "Proxy Behavior: 2, system proxy options exhausted".
func (e *Evidence) webServicesLine(r *logparse.Record, msg []byte) {
	switch {
	case bytes.HasPrefix(msg, bWSError) && bytes.Contains(msg, bRoxy):
	case bytes.HasPrefix(msg, bProxyBehavior) && bytes.Contains(msg, bExhausted):
	default:
		return
	}
	e.proxyError(r)
}

func (e *Evidence) proxyError(r *logparse.Record) {
	if e.ProxyErrors == 0 {
		e.FirstProxyError = lineOf(r)
	}
	e.ProxyErrors++
}

// downloadLine recognizes download outcomes ("DO job {...} completed
// successfully", "Error occurred while downloading update", "Background
// download of UpdateId = ..., failed due to proxy ...").
func (e *Evidence) downloadLine(r *logparse.Record, msg []byte) {
	switch {
	case r.Marker == logparse.MarkerFailed && bytes.Contains(msg, bDownloadFailed):
		if !bytes.Contains(msg, bDownloadError) && !bytes.Contains(msg, bBackgroundFailed) {
			return
		}
		if bytes.Contains(msg, bRoxy) {
			e.proxyError(r)
		}
		if c, ok := firstFailure(r); ok {
			e.record(Download, c, nil, r)
		}
	case len(msg) > 0 && msg[0] == 'D' && bytes.HasPrefix(msg, bDOJob) && bytes.Contains(msg, bDOCompleted):
		e.record(Download, 0, nil, r)
	}
}

// installLine recognizes "Deployment job Id ... : Ending Installing
// updates, CallerId = ..., Exit code = 0x...".
func (e *Evidence) installLine(r *logparse.Record, msg []byte) {
	if nEndingInstalling.in(msg) {
		if c, ok := exitCode(r, msg); ok {
			e.record(Install, c, callerOf(msg), r)
		}
	}
}

var (
	bExitCode         = []byte("Exit code = ")
	bFindingUpdates   = []byte("Finding updates")
	nServiceStartup   = newNeedle("Service startup", 'v')
	nEndingInstalling = newNeedle("Ending Installing updates", 'I')
	bDOCompleted      = []byte("completed successfully, updateId")
	bDownloadError    = []byte("Error occurred while downloading update")
	bBackgroundFailed = []byte("Background download of UpdateId")
	bQueueing         = []byte("Queueing")
	bCallerID         = []byte("CallerId = ")
)

// exitCode returns the code written after "Exit code = " in r, if any.
func exitCode(r *logparse.Record, msg []byte) (uint32, bool) {
	i := bytes.Index(msg, bExitCode)
	if i < 0 {
		return 0, false
	}
	for _, c := range r.Codes {
		if int(c.At.Start) >= i {
			return c.Value, true
		}
	}
	// The scanner found no code token: parse it here.
	v := msg[i+len(bExitCode):]
	v = bytes.TrimPrefix(bytes.TrimPrefix(v, []byte("0x")), []byte("0X"))
	n := 0
	for n < len(v) && n < 8 && isHex(v[n]) {
		n++
	}
	if n == 0 {
		return 0, false
	}
	x, err := strconv.ParseUint(string(v[:n]), 16, 32)
	return uint32(x), err == nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// callerOf returns the caller named by "CallerId = ..." in msg (a slice
// of msg), nil if none.
func callerOf(msg []byte) []byte {
	i := bytes.Index(msg, bCallerID)
	if i < 0 {
		return nil
	}
	v := msg[i+len(bCallerID):]
	if j := indexIn(v, &callerEnd); j >= 0 {
		v = v[:j]
	}
	if j := bytes.Index(v, []byte("  Id =")); j >= 0 {
		v = v[:j]
	}
	return bytes.TrimSpace(v)
}

var callerEnd = newByteSet(",]")

// outcomeSlots hold the outcomes that an OpStats points to while the log
// is folded, in buffers reused from one outcome to the next; Finish turns
// them into the OpStats' Outcome pointers.
type outcomeSlots struct {
	firstFailure, lastFailure, lastSuccess, last outcomeBuf
}

// outcomeBuf is one kept outcome; seq 0 means none.
type outcomeBuf struct {
	seq    int64
	code   uint32
	caller []byte
	line   lineBuf
}

func (b *outcomeBuf) set(seq int64, code uint32, caller []byte, r *logparse.Record) {
	b.seq, b.code = seq, code
	b.caller = append(b.caller[:0], caller...)
	b.line.set(r)
}

// lineBuf is lineOf(r) for a line that is replaced often (the last of
// something): kept in a buffer that is reused, and turned into a Line by
// get.
type lineBuf struct {
	line Line // without Text
	text []byte
}

func (b *lineBuf) set(r *logparse.Record) {
	b.line = Line{File: r.File, Line: r.Line, Time: r.Time, Component: r.Component}
	b.text = append(b.text[:0], r.Message[:min(len(r.Message), maxText)]...)
}

func (b *lineBuf) get() Line {
	l := b.line
	l.Text = string(b.text)
	return l
}

// materialize sets s's outcome pointers from the slots; slots holding the
// same outcome give the same pointer.
func (sl *outcomeSlots) materialize(kind OpKind, s *OpStats) {
	var made [4]*Outcome
	var seqs [4]int64
	n := 0
	get := func(b *outcomeBuf) *Outcome {
		if b.seq == 0 {
			return nil
		}
		for i := range n {
			if seqs[i] == b.seq {
				return made[i]
			}
		}
		o := &Outcome{Kind: kind, Code: b.code, Caller: string(b.caller), Line: b.line.get()}
		made[n], seqs[n] = o, b.seq
		n++
		return o
	}
	s.FirstFailure = get(&sl.firstFailure)
	s.LastFailure = get(&sl.lastFailure)
	s.LastSuccess = get(&sl.lastSuccess)
	s.Last = get(&sl.last)
	*sl = outcomeSlots{}
}

// record counts an outcome of kind with code; caller may be nil.
func (e *Evidence) record(kind OpKind, code uint32, caller []byte, r *logparse.Record) {
	e.outSeq++
	seq := e.outSeq
	s, sl := &e.Ops[kind], &e.outs[kind]
	sl.last.set(seq, code, caller, r)
	if hresult.IsFailure(code) {
		s.Failed++
		if sl.firstFailure.seq == 0 {
			sl.firstFailure.set(seq, code, caller, r)
		}
		sl.lastFailure.set(seq, code, caller, r)
		if s.FailCodes == nil {
			s.FailCodes = make(map[uint32]int64)
		}
		if _, ok := s.FailCodes[code]; ok || len(s.FailCodes) < maxCodes {
			s.FailCodes[code]++
		}
	} else {
		s.Succeeded++
		sl.lastSuccess.set(seq, code, caller, r)
	}
}

// outcome recognizes the end of scans, downloads and installs.
func (e *Evidence) outcome(r *logparse.Record, msg []byte) {
	switch r.Marker {
	case logparse.MarkerStart:
		if nServiceStartup.in(msg) {
			e.ServiceStarts++
			e.serviceStart.set(r)
			return
		}
		if r.Format == logparse.Legacy {
			if k, ok := legacyOp(msg); ok {
				o := &e.thread(r).open
				o.active, o.kind, o.code = true, k, 0
				o.caller = append(o.caller[:0], callerOf(msg)...)
			}
		}
		return
	case logparse.MarkerWarning:
		if r.Format == logparse.Legacy {
			if ts := e.findThread(r); ts != nil && ts.open.active {
				if c, ok := exitCode(r, msg); ok {
					ts.open.code = c
				}
			}
		}
		return
	case logparse.MarkerEnd:
		if bytes.Contains(msg, bQueueing) {
			return
		}
		if bytes.Contains(msg, bFindingUpdates) {
			if c, ok := exitCode(r, msg); ok {
				e.record(Scan, c, callerOf(msg), r)
				return
			}
		}
		if r.Format == logparse.Legacy {
			ts := e.findThread(r)
			if k, ok := legacyOp(msg); ok && ts != nil && ts.open.active && ts.open.kind == k {
				caller := ts.open.caller
				if len(caller) == 0 {
					caller = callerOf(msg)
				}
				e.record(k, ts.open.code, caller, r)
				ts.open.active = false
			}
		}
		return
	}
}

func legacyOp(msg []byte) (OpKind, bool) {
	switch {
	case bytes.Contains(msg, []byte("Agent: Finding updates")):
		return Scan, true
	case bytes.Contains(msg, []byte("Agent: Installing updates")):
		return Install, true
	case bytes.Contains(msg, []byte("DnldMgr: Downloading updates")):
		return Download, true
	}
	return 0, false
}

// isFailureCode reports whether c in r reports a failure: a code with the
// severity bit, or a Win32 failure code on a line marked as a failure.
func isFailureCode(c logparse.Code, r *logparse.Record) bool {
	if c.Success || !hresult.IsFailure(c.Value) {
		return false
	}
	if c.Value&0x80000000 != 0 {
		return true
	}
	switch r.Marker {
	case logparse.MarkerFailed, logparse.MarkerFatal, logparse.MarkerWarning:
		return true
	}
	return false
}

func firstFailure(r *logparse.Record) (uint32, bool) {
	for _, c := range r.Codes {
		if isFailureCode(c, r) {
			return c.Value, true
		}
	}
	return 0, false
}

var (
	nEtry         = newNeedle("etry", 'y')
	bRetryCounter = []byte("Retry Counter:")
	bWillRetry    = []byte("Will retry")
	bRetrying     = []byte("retrying")
)

// failures folds the failure codes of r into chains and code counts.
func (e *Evidence) failures(r *logparse.Record, msg []byte) {
	var seen [4]uint32
	nseen := 0
	var host string
	hostDone := false
	for _, c := range r.Codes {
		if !isFailureCode(c, r) {
			continue
		}
		dup := false
		for _, s := range seen[:nseen] {
			if s == c.Value {
				dup = true
			}
		}
		if dup {
			continue
		}
		if nseen < len(seen) {
			seen[nseen] = c.Value
			nseen++
		}
		e.countCode(c.Value, r)
		if !hostDone {
			host, hostDone = e.endpoint(r), true
		}
		e.chain(chainKey{r.Component, c.Value, host}, r, msg)
	}
}

func (e *Evidence) countCode(v uint32, r *logparse.Record) {
	cs := e.lastCode
	if cs == nil || cs.Code != v {
		cs = e.Codes[v]
		if cs == nil {
			if len(e.Codes) >= maxCodes {
				e.CodeOverflow++
				return
			}
			cs = &CodeStat{Code: v, First: r.Time, Sample: lineOf(r)}
			e.Codes[v] = cs
		}
		e.lastCode = cs
	}
	cs.Count++
	if !r.Time.IsZero() {
		if cs.First.IsZero() || r.Time.Before(cs.First) {
			cs.First = r.Time
		}
		if r.Time.After(cs.Last) {
			cs.Last = r.Time
		}
	}
}

func (e *Evidence) chain(k chainKey, r *logparse.Record, msg []byte) {
	// Failures alternate between a few chains: look in a small cache
	// before hashing the key's strings.
	slot := &e.recent[(k.code^k.code>>16^uint32(len(k.comp))<<3^uint32(len(k.host)))%uint32(len(e.recent))]
	c := *slot
	if c == nil || c.Code != k.code || c.Component != k.comp || c.Endpoint != k.host {
		c = e.chainIdx[k]
		if c == nil {
			if len(e.chainIdx) >= e.MaxChains {
				e.ChainOverflow++
				return
			}
			c = &FailureChain{Component: k.comp, Code: k.code, Endpoint: k.host, First: r.Time, MaxRetryCounter: -1}
			e.chainIdx[k] = c
			e.Chains = append(e.Chains, c)
		}
		*slot = c
	}
	c.Count++
	if !r.Time.IsZero() {
		if c.First.IsZero() || r.Time.Before(c.First) {
			c.First = r.Time
		}
		if r.Time.After(c.Last) {
			c.Last = r.Time
		}
	}
	if len(c.Samples) < 2 {
		c.Samples = append(c.Samples, lineOf(r))
	} else {
		c.last.set(r)
	}
	// "Retry Counter:", "Will retry" and "retrying" all contain "etry".
	if nEtry.in(msg) {
		c.retries(msg)
	}
	c.countOp(e.opOf(c, msg))
}

// retries notes the retry counter and retry announcements of msg.
func (c *FailureChain) retries(msg []byte) {
	if i := bytes.Index(msg, bRetryCounter); i >= 0 {
		v := bytes.TrimLeft(msg[i+len(bRetryCounter):], " ")
		n := 0
		for n < len(v) && n < 6 && '0' <= v[n] && v[n] <= '9' {
			n++
		}
		if x, err := strconv.Atoi(string(v[:n])); err == nil && x > c.MaxRetryCounter {
			c.MaxRetryCounter = x
		}
	}
	if bytes.Contains(msg, bWillRetry) || bytes.Contains(msg, bRetrying) {
		c.Retries++
	}
}

// opOf returns the index in c.Ops of the operation msg normalizes to, or
// -1 when it is a new operation beyond maxOps. Storms repeat the same
// few messages: a message that starts like the last one seen for an
// operation (see opKey) is not normalized again.
func (e *Evidence) opOf(c *FailureChain, msg []byte) int {
	if k := &c.seen[slotOf(c.lastOp)]; k.match(msg) {
		return c.lastOp
	}
	for i := range c.seen {
		if k := &c.seen[i]; k.match(msg) {
			c.lastOp = opAt(i)
			return c.lastOp
		}
	}
	var key opKey
	e.opBuf, key = normalizeOpKey(e.opBuf[:0], msg)
	op := -1
	for i := range c.Ops {
		if c.Ops[i].Text == string(e.opBuf) {
			op = i
			break
		}
	}
	if op < 0 && len(c.Ops) < maxOps {
		c.Ops = append(c.Ops, Op{Text: string(e.opBuf)})
		op = len(c.Ops) - 1
	}
	if len(key.raw) <= maxRaw {
		k := &c.seen[slotOf(op)]
		k.raw = append(k.raw[:0], key.raw...)
		k.whole, k.ok = key.whole, true
	}
	c.lastOp = op
	return op
}

// slotOf and opAt map an operation index (-1 beyond maxOps) to its index
// in FailureChain.seen and back.
func slotOf(op int) int {
	if op < 0 {
		return maxOps
	}
	return op
}

func opAt(slot int) int {
	if slot == maxOps {
		return -1
	}
	return slot
}

// countOp counts an occurrence of operation i, or of an operation beyond
// the cap when i < 0.
func (c *FailureChain) countOp(i int) {
	if i < 0 {
		c.OpsOverflow++
		return
	}
	c.Ops[i].Count++
}

var bFailedMarker = []byte("*FAILED*")

// normalizeWords appends m to dst word by word until dst holds maxOpText
// bytes: words are copied, or written "#" when they have a digit; runs of
// blanks are written as one space. It returns where it stopped in m and
// how much of m it read.
func normalizeWords(dst, m []byte) (out []byte, i, used int) {
	for i < len(m) && len(dst) < maxOpText {
		if opClass[m[i]] == opBlank {
			if len(dst) > 0 && dst[len(dst)-1] != ' ' {
				dst = append(dst, ' ')
			}
			i++
			used = i
			continue
		}
		j, digit := wordEnd(m, i)
		if digit {
			dst = append(dst, '#')
		} else {
			dst = append(dst, m[i:j]...)
		}
		i, used = j, min(j+1, len(m)) // the blank that ends the word was read
	}
	return dst, i, used
}

// wordEnd returns the end of the word of m that starts at i, and whether
// the word has a digit.
func wordEnd(m []byte, i int) (int, bool) {
	var class uint8
	for ; i < len(m); i++ {
		c := opClass[m[i]]
		if c == opBlank {
			break
		}
		class |= c
	}
	return i, class != 0
}

// opClass classifies the bytes of a message for normalizeOp: blanks
// separate words, a digit makes a word a number.
var opClass = func() (t [256]uint8) {
	t[' '], t['\t'] = opBlank, opBlank
	for c := '0'; c <= '9'; c++ {
		t[c] = opDigit
	}
	return t
}()

const (
	opBlank = 1
	opDigit = 2
)

// normalizeOp appends to dst the message without its marker and code
// prefix, with every word that contains a digit replaced by "#" and runs
// of spaces collapsed, cut at maxOpText bytes.
func normalizeOp(dst, msg []byte) []byte {
	dst, _ = normalizeOpKey(dst, msg)
	return dst
}

// normalizeOpKey is normalizeOp that also returns the part of msg the
// result depends on.
func normalizeOpKey(dst, msg []byte) ([]byte, opKey) {
	m := msg
	whole := false // the result depends on all of msg
	for k := 0; k < 4 && k < len(m); k++ {
		if bytes.HasPrefix(m[k:], bFailedMarker) {
			m = m[k+len(bFailedMarker):]
			m = bytes.TrimLeft(m, " ")
			if len(m) > 0 && m[0] == '[' {
				if j := bytes.IndexByte(m, ']'); j >= 0 {
					m = m[j+1:]
				} else {
					whole = true // no ']' anywhere
				}
			}
			break
		}
	}
	for len(m) > 0 && (m[0] == ' ' || m[0] == '*') {
		m = m[1:]
	}
	m = bytes.TrimPrefix(m, []byte("WARNING: "))
	m = bytes.TrimPrefix(m, []byte("FATAL: "))
	// Output is never longer than the input read, so the prefixes trimmed
	// above are inside the part read when the output fills up.
	dst, i, used := normalizeWords(dst, m)
	if i == len(m) {
		whole = true
	}
	if len(dst) > maxOpText {
		dst = dst[:maxOpText]
	}
	dst = bytes.TrimRight(dst, " ")
	if whole {
		return dst, opKey{raw: msg, whole: true}
	}
	return dst, opKey{raw: msg[:len(msg)-len(m)+used]}
}

// Finish completes the fold: it materializes what Add keeps in reused
// buffers (each chain's last sample, the outcomes that Ops point to,
// LastServiceStart, Server and Last), sorts each chain's operations and
// drops the lookup tables. Call it once, after the last Add, before
// reading the Evidence ([Run] calls it).
func (e *Evidence) Finish() {
	if e.finished {
		return
	}
	e.finished = true
	if e.lastIsPrev {
		e.Last, e.lastIsPrev = e.prev.time, false
	}
	for _, c := range e.Chains {
		if c.Count > 2 {
			c.Samples = append(c.Samples, c.last.get())
		}
		c.last = lineBuf{}
		c.seen = [maxOps + 1]opKey{}
		sort.SliceStable(c.Ops, func(i, j int) bool { return c.Ops[i].Count > c.Ops[j].Count })
	}
	for k := range e.Ops {
		e.outs[k].materialize(OpKind(k), &e.Ops[k])
	}
	if e.ServiceStarts > 0 {
		e.LastServiceStart = e.serviceStart.get()
	}
	if e.server.seen {
		e.Server = UpdateServer{Seen: true, WSUS: string(e.server.wsus), Line: e.server.line.get()}
	}
	e.serviceStart = lineBuf{}
	e.server.wsus, e.server.line = nil, lineBuf{}
	e.threads = nil
	e.hosts = nil
	e.chainIdx = nil
	e.lastTS, e.recent, e.lastCode = nil, [16]*FailureChain{}, nil
	e.hostCache = [4]hostEntry{}
	e.opBuf = nil
}

// ChainsFor returns the chains whose code is one of codes, in order of
// first occurrence.
func (e *Evidence) ChainsFor(codes ...uint32) []*FailureChain {
	var out []*FailureChain
	for _, c := range e.Chains {
		for _, v := range codes {
			if c.Code == v {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// Count returns how many records carried failure code v.
func (e *Evidence) Count(v uint32) int64 {
	if cs := e.Codes[v]; cs != nil {
		return cs.Count
	}
	return 0
}
