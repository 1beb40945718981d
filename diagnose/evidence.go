package diagnose

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"time"

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

	order    int
	last     Line
	lastText []byte
	lastRaw  []byte
	lastOp   int
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

func (o *Outcome) kindLabel([]OpKind) string { return o.Kind.String() }

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
	prevTime time.Time
	prevN    int64
	prevFile string
	prevLine int64
	prevComp string
	firstN   int64
	lastN    int64
	zone     string
	zoneNew  string
	finished bool
	opBuf    []byte
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
	open     *openOp
}

type openOp struct {
	kind   OpKind
	code   uint32
	caller string
	line   Line
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
	if n := len(e.Files); r.File != "" && (n == 0 || e.Files[n-1] != r.File) {
		e.addFile(r.File)
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
	t := r.Time
	tn := t.UnixNano()
	if e.First.IsZero() || tn < e.firstN {
		e.First, e.firstN = t, tn
	}
	if e.Last.IsZero() || tn > e.lastN {
		e.Last, e.lastN = t, tn
	}
	if r.Format == logparse.Legacy && r.Component == "Misc" {
		e.legacyZone(r.Message)
	}
	if r.ZoneKnown != e.ZoneKnown {
		// A legacy log whose first records came before any "tz:" banner:
		// wall clock before, exact instants after. Not comparable.
		e.prevTime = time.Time{}
	}
	e.ZoneKnown = r.ZoneKnown
	if !e.prevTime.IsZero() {
		d := time.Duration(tn - e.prevN)
		if d < -30*time.Second && isRoundingArtefact(d, t) {
			e.ClockArtefacts++
			return // the artefact record is out of line: keep the previous time
		}
		if d <= -JumpThreshold {
			e.ClockJumpCount++
			if len(e.ClockJumps) < maxJumps {
				before := Line{File: e.prevFile, Line: e.prevLine, Time: e.prevTime, Component: e.prevComp}
				e.ClockJumps = append(e.ClockJumps, ClockJump{From: e.prevTime, To: t, Line: lineOf(r), Before: before, ZoneChange: e.zoneNew})
			}
		}
	}
	e.zoneNew = ""
	e.prevTime, e.prevN = t, tn
	e.prevFile, e.prevLine, e.prevComp = r.File, r.Line, r.Component
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
	zone := string(z)
	if e.zone != "" && e.zone != zone {
		e.zoneNew = e.zone + " -> " + zone
	}
	e.zone = zone
}

func threadKey(r *logparse.Record) uint64 { return uint64(r.PID)<<32 | uint64(r.TID) }

func (e *Evidence) thread(r *logparse.Record) *threadState {
	k := threadKey(r)
	ts := e.threads[k]
	if ts == nil {
		if len(e.threads) >= maxThreads {
			clear(e.threads)
		}
		ts = &threadState{}
		e.threads[k] = ts
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
	ts.host = e.intern(h)
	ts.hostAt = r.Time
	ts.hostLine = r.Line
	if r.Component == "SLS" && bytes.Contains(r.Message, []byte("/SLS/")) {
		e.slsVersions(r, r.Text(r.URLs[0]))
	}
}

// hostOf returns the lower-cased host of a URL, without port.
func hostOf(u []byte) []byte {
	i := bytes.Index(u, []byte("://"))
	if i < 0 {
		return nil
	}
	h := u[i+3:]
	if at := bytes.IndexByte(h, '@'); at >= 0 && at < bytes.IndexAny(h, "/?#") {
		h = h[at+1:]
	}
	if j := bytes.IndexAny(h, ":/?#>'\" \t"); j >= 0 {
		h = h[:j]
	}
	return h
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
			return e.intern(h)
		}
	}
	ts := e.threads[threadKey(r)]
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

func (e *Evidence) agentLine(r *logparse.Record, msg []byte) {
	m := bytes.TrimLeft(msg, " *")
	switch {
	case bytes.HasPrefix(m, bClientVersion):
		e.AgentVersions = observe(e.AgentVersions, m[len(bClientVersion):], r)
	case bytes.HasPrefix(m, bWSUSServer):
		v := bytes.TrimSpace(m[len(bWSUSServer):])
		e.Server = UpdateServer{Seen: true, Line: lineOf(r)}
		if len(v) > 0 && !bytes.EqualFold(v, []byte("(null)")) && !bytes.EqualFold(v, []byte("<NULL>")) {
			e.Server.WSUS = string(v)
		}
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
			e.record(Download, c, "", r)
		}
	case bytes.HasPrefix(msg, bDOJob) && bytes.Contains(msg, bDOCompleted):
		e.record(Download, 0, "", r)
	}
}

// installLine recognizes "Deployment job Id ... : Ending Installing
// updates, CallerId = ..., Exit code = 0x...".
func (e *Evidence) installLine(r *logparse.Record, msg []byte) {
	if bytes.Contains(msg, bEndingInstalling) {
		if c, ok := exitCode(r, msg); ok {
			e.record(Install, c, callerOf(msg), r)
		}
	}
}

var (
	bExitCode         = []byte("Exit code = ")
	bFindingUpdates   = []byte("Finding updates")
	bInstallingUpdate = []byte("Installing updates")
	bDownloadingUpd   = []byte("Downloading updates")
	bServiceStartup   = []byte("Service startup")
	bEndingInstalling = []byte("Ending Installing updates")
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

func callerOf(msg []byte) string {
	i := bytes.Index(msg, bCallerID)
	if i < 0 {
		return ""
	}
	v := msg[i+len(bCallerID):]
	if j := bytes.IndexAny(v, ",]"); j >= 0 {
		v = v[:j]
	}
	if j := bytes.Index(v, []byte("  Id =")); j >= 0 {
		v = v[:j]
	}
	return string(bytes.TrimSpace(v))
}

func (e *Evidence) record(kind OpKind, code uint32, caller string, r *logparse.Record) {
	o := &Outcome{Kind: kind, Code: code, Caller: caller, Line: lineOf(r)}
	s := &e.Ops[kind]
	s.Last = o
	if o.Failed() {
		s.Failed++
		if s.FirstFailure == nil {
			s.FirstFailure = o
		}
		s.LastFailure = o
		if s.FailCodes == nil {
			s.FailCodes = make(map[uint32]int64)
		}
		if _, ok := s.FailCodes[code]; ok || len(s.FailCodes) < maxCodes {
			s.FailCodes[code]++
		}
	} else {
		s.Succeeded++
		s.LastSuccess = o
	}
}

// outcome recognizes the end of scans, downloads and installs.
func (e *Evidence) outcome(r *logparse.Record, msg []byte) {
	switch r.Marker {
	case logparse.MarkerStart:
		if bytes.Contains(msg, bServiceStartup) {
			e.ServiceStarts++
			e.LastServiceStart = lineOf(r)
			return
		}
		if r.Format == logparse.Legacy {
			if k, ok := legacyOp(msg); ok {
				e.thread(r).open = &openOp{kind: k, caller: callerOf(msg), line: lineOf(r)}
			}
		}
		return
	case logparse.MarkerWarning:
		if r.Format == logparse.Legacy {
			if ts := e.threads[threadKey(r)]; ts != nil && ts.open != nil {
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
			ts := e.threads[threadKey(r)]
			if k, ok := legacyOp(msg); ok && ts != nil && ts.open != nil && ts.open.kind == k {
				caller := ts.open.caller
				if caller == "" {
					caller = callerOf(msg)
				}
				e.record(k, ts.open.code, caller, r)
				ts.open = nil
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
	cs := e.Codes[v]
	if cs == nil {
		if len(e.Codes) >= maxCodes {
			e.CodeOverflow++
			return
		}
		cs = &CodeStat{Code: v, First: r.Time, Sample: lineOf(r)}
		e.Codes[v] = cs
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
	c := e.chainIdx[k]
	if c == nil {
		if len(e.chainIdx) >= e.MaxChains {
			e.ChainOverflow++
			return
		}
		c = &FailureChain{Component: k.comp, Code: k.code, Endpoint: k.host, First: r.Time, MaxRetryCounter: -1, order: len(e.Chains)}
		e.chainIdx[k] = c
		e.Chains = append(e.Chains, c)
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
		c.last = Line{File: r.File, Line: r.Line, Time: r.Time, Component: r.Component}
		c.lastText = append(c.lastText[:0], msg[:min(len(msg), maxText)]...)
	}
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
	// Storms repeat the same message: skip normalizing it again.
	raw := msg[:min(len(msg), maxRaw)]
	if c.lastRaw != nil && bytes.Equal(c.lastRaw, raw) {
		c.countOp(c.lastOp)
		return
	}
	c.lastRaw = append(c.lastRaw[:0], raw...)
	e.opBuf = normalizeOp(e.opBuf[:0], msg)
	c.lastOp = -1
	for i := range c.Ops {
		if c.Ops[i].Text == string(e.opBuf) {
			c.lastOp = i
			break
		}
	}
	if c.lastOp < 0 && len(c.Ops) < maxOps {
		c.Ops = append(c.Ops, Op{Text: string(e.opBuf)})
		c.lastOp = len(c.Ops) - 1
	}
	c.countOp(c.lastOp)
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

// normalizeOp appends to dst the message without its marker and code
// prefix, with every word that contains a digit replaced by "#" and runs
// of spaces collapsed, cut at maxOpText bytes.
func normalizeOp(dst, msg []byte) []byte {
	m := msg
	if i := bytes.Index(m, []byte("*FAILED*")); i >= 0 && i < 4 {
		m = m[i+8:]
		m = bytes.TrimLeft(m, " ")
		if len(m) > 0 && m[0] == '[' {
			if j := bytes.IndexByte(m, ']'); j >= 0 {
				m = m[j+1:]
			}
		}
	}
	m = bytes.TrimLeft(m, " *")
	m = bytes.TrimPrefix(m, []byte("WARNING: "))
	m = bytes.TrimPrefix(m, []byte("FATAL: "))
	// One pass: copy words, write "#" for words with a digit, collapse
	// blanks.
	start, digit := -1, false
	flush := func(end int) {
		if start < 0 {
			return
		}
		if digit {
			dst = append(dst, '#')
		} else {
			dst = append(dst, m[start:end]...)
		}
		start, digit = -1, false
	}
	for i := 0; i < len(m) && len(dst) < maxOpText; i++ {
		switch c := m[i]; {
		case c == ' ' || c == '\t':
			flush(i)
			if len(dst) > 0 && dst[len(dst)-1] != ' ' {
				dst = append(dst, ' ')
			}
		default:
			if start < 0 {
				start = i
			}
			if '0' <= c && c <= '9' {
				digit = true
			}
		}
	}
	if len(dst) < maxOpText {
		flush(len(m))
	}
	if len(dst) > maxOpText {
		dst = dst[:maxOpText]
	}
	return bytes.TrimRight(dst, " ")
}

// Finish completes the fold: it materializes the last samples and sorts
// each chain's operations. Call it once, after the last Add.
func (e *Evidence) Finish() {
	if e.finished {
		return
	}
	e.finished = true
	for _, c := range e.Chains {
		if c.lastText != nil {
			l := c.last
			l.Text = string(c.lastText)
			c.Samples = append(c.Samples, l)
			c.lastText = nil
		}
		c.lastRaw = nil
		sort.SliceStable(c.Ops, func(i, j int) bool { return c.Ops[i].Count > c.Ops[j].Count })
	}
	e.threads = nil
	e.hosts = nil
	e.chainIdx = nil
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
