package bundle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wulog/wulog/diagnose"
	"github.com/wulog/wulog/diagnose/snapshot"
	"github.com/wulog/wulog/logparse"
	"github.com/wulog/wulog/logparse/etl"
	"github.com/wulog/wulog/logparse/etl/wu"
)

// DefaultETLDir is where Windows Update (Windows 10 1709 and later) keeps
// its .etl files.
const DefaultETLDir = `C:\Windows\Logs\WindowsUpdate`

// CollectOptions say what Collect gathers.
type CollectOptions struct {
	// Facts gathers the machine's facts (the live probes on Windows).
	Facts diagnose.FactSource
	// ETLDir is the folder of the .etl files; "" means DefaultETLDir.
	// A missing folder is noted in the manifest, not an error.
	ETLDir string
	// TempDir is where the .etl files are copied before they are added and
	// converted, so that both come from the same bytes; "" means
	// os.TempDir().
	TempDir string
	// Tool and ToolVersion name the collecting program.
	Tool, ToolVersion string
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// maxNotes bounds how many conversion problems are listed one by one.
const maxNotes = 20

// Collect writes a bundle to w: snapshot.json from opts.Facts, every .etl
// file of opts.ETLDir under etl/, WindowsUpdate.log converted from those
// files by the project's ETL reader (times in UTC), and the manifest. It
// only reads the machine. What it cannot copy or convert is noted in the
// manifest; it fails only when the facts cannot be gathered at all or w
// fails.
func Collect(ctx context.Context, w io.Writer, opts CollectOptions) (Manifest, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	if opts.ETLDir == "" {
		opts.ETLDir = DefaultETLDir
	}
	if opts.Tool == "" {
		opts.Tool = "wulog"
	}
	facts, err := opts.Facts.Facts(ctx)
	if err != nil {
		return Manifest{}, fmt.Errorf("gathering facts (%s): %w", opts.Facts.Name(), err)
	}
	bw := NewWriter(w, Manifest{Tool: opts.Tool, ToolVersion: opts.ToolVersion, Host: facts.Host, CreatedAt: now()})

	var snap bytes.Buffer
	if err := snapshot.Write(&snap, facts); err != nil {
		return Manifest{}, fmt.Errorf("writing the snapshot: %w", err)
	}
	if err := bw.Add(File{Name: SnapshotName, Description: "facts about the machine (" + snapshot.Schema + ", docs/snapshot.md) from " + opts.Facts.Name()}, &snap); err != nil {
		return Manifest{}, err
	}

	copies, err := copyETL(ctx, bw, opts)
	if err != nil {
		return Manifest{}, err
	}
	defer func() {
		for _, c := range copies {
			os.Remove(c.tmp)
		}
	}()
	if len(copies) > 0 {
		if err := addLog(bw, copies); err != nil {
			return Manifest{}, err
		}
	}
	m := bw.Manifest()
	if err := bw.Close(); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// etlCopy is one .etl file copied to a temporary file and to the bundle.
type etlCopy struct {
	src, tmp string
}

// copyETL copies every .etl file of the folder to a temporary file, then
// into the bundle from that copy.
func copyETL(ctx context.Context, bw *Writer, opts CollectOptions) ([]etlCopy, error) {
	paths, err := etl.List(opts.ETLDir)
	if err != nil {
		bw.Note("no .etl files collected: %v", err)
		return nil, nil
	}
	if len(paths) == 0 {
		bw.Note("no .etl files in %s", opts.ETLDir)
		return nil, nil
	}
	var out []etlCopy
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		tmp, info, err := copyToTemp(p, opts.TempDir)
		if err != nil {
			bw.Note("%s not collected: %v", p, err)
			continue
		}
		f, err := os.Open(tmp)
		if err != nil {
			os.Remove(tmp)
			bw.Note("%s not collected: %v", p, err)
			continue
		}
		err = bw.Add(File{Name: ETLDir + filepath.Base(p), Source: p, ModTime: info.ModTime(), Description: "Windows Update trace"}, f)
		f.Close()
		if err != nil {
			os.Remove(tmp)
			return out, err
		}
		out = append(out, etlCopy{src: p, tmp: tmp})
	}
	return out, nil
}

// copyToTemp copies a file that may still be being written (Windows
// Update keeps its current trace open) to a temporary file.
func copyToTemp(src, dir string) (string, os.FileInfo, error) {
	in, err := os.Open(src)
	if err != nil {
		return "", nil, err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return "", nil, err
	}
	out, err := os.CreateTemp(dir, "wulog-etl-*.etl")
	if err != nil {
		return "", nil, err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(out.Name())
		return "", nil, err
	}
	return out.Name(), info, nil
}

// addLog converts the copied .etl files into WindowsUpdate.log.
func addLog(bw *Writer, copies []etlCopy) error {
	var tmps []string
	byTmp := map[string]string{}
	for _, c := range copies {
		tmps = append(tmps, c.tmp)
		byTmp[c.tmp] = c.src
	}
	var buf bytes.Buffer
	st, problems, err := ConvertETL(&buf, tmps, time.UTC)
	for i, p := range problems {
		if i == maxNotes {
			bw.Note("WindowsUpdate.log: %d more conversion problems not listed", len(problems)-maxNotes)
			break
		}
		bw.Note("WindowsUpdate.log: %s", replaceNames(p, byTmp))
	}
	if err != nil {
		bw.Note("WindowsUpdate.log not written: %s", replaceNames(err.Error(), byTmp))
		return nil
	}
	bw.m.LogTimeZone = "UTC"
	return bw.Add(File{Name: LogName, Description: fmt.Sprintf("converted from the .etl files by wulog's ETL reader, times in UTC: %d records", st.Records)}, &buf)
}

// replaceNames puts the original paths back in messages about the copies.
func replaceNames(s string, byTmp map[string]string) string {
	for tmp, src := range byTmp {
		s = strings.ReplaceAll(s, tmp, src)
	}
	return s
}

// ConvertETL writes the Windows Update events of the .etl files at paths
// (merged by time) to w as Get-WindowsUpdateLog lines, times in loc. It
// returns the totals, the reasons of the records that are not Windows
// Update events (WPP files that need symbols, damaged buffers), which are
// left out of the text, and an error when the files cannot be read at all.
func ConvertETL(w io.Writer, paths []string, loc *time.Location) (ConvertStats, []string, error) {
	m, err := etl.OpenAll(paths...)
	if err != nil {
		return ConvertStats{}, nil, err
	}
	defer m.Close()
	src := wu.NewSource(m, nil)
	var (
		problems []string
		st       ConvertStats
	)
	st.Records, err = wu.WriteLog(w, src, loc, func(rec *logparse.Record) {
		problems = append(problems, fmt.Sprintf("%s: %s", rec.File, rec.Reason))
	})
	if err != nil {
		return st, problems, err
	}
	if err := src.Err(); err != nil {
		return st, problems, err
	}
	if st.Records == 0 && len(problems) == 0 {
		return st, problems, errors.New("the .etl files hold no Windows Update event")
	}
	return st, problems, nil
}

// ConvertStats are the totals of a conversion.
type ConvertStats struct {
	// Records is the number of lines written.
	Records int64
}
