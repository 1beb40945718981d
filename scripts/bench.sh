#!/usr/bin/env bash
# bench.sh: the speed and memory goal of the text log reader.
#
# Builds a 1 GiB Windows 10 log by repeating the Windows 10/11 files of the
# shared corpus, then times, on one core, `grep -c FAILED` and
# `wulog parse --stats` (every record parsed, every token extracted) on the
# same file in the same run, alternating, and prints the median times, the
# ratio of the medians and the peak RSS. Goal: ratio <= 2.0 and wulog's
# peak RSS < 64 MiB.
#
# Usage: scripts/bench.sh [SIZE_MIB] (default 1024). Environment: RUNS
# (default 5), CPU (default 0), CORPUS (default ../shared/corpus). Needs GNU
# time (/usr/bin/time) and taskset (util-linux); the machine is best left
# idle: the load average is printed before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
corpus=${CORPUS:-../shared/corpus}
runs=${RUNS:-5}
cpu=${CPU:-0}

ls "$corpus"/win1*.log >/dev/null 2>&1 || { echo "no Windows 10/11 logs in $corpus" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed" >&2; exit 1; }
command -v taskset >/dev/null || { echo "taskset is needed" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/wulog" ./cmd/wulog

log="$tmp/WindowsUpdate.log"
target=$((size_mib * 1024 * 1024))
cat "$corpus"/win1*.log > "$tmp/one"
one=$(stat -c %s "$tmp/one")
reps=$(( (target + one - 1) / one ))
for ((i = 0; i < reps; i++)); do cat "$tmp/one"; done > "$log"
truncate -s "$target" "$log" # may cut the last line: the reader must cope
rm "$tmp/one"
cat "$log" > /dev/null # into the page cache

# run CMD...: one timed run, appending "seconds rss_kib" to $tmp/times.NAME
run() {
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" > "$tmp/out.$name"
  cat "$tmp/time" >> "$tmp/times.$name"
}

# median seconds and max RSS (KiB) of the runs of NAME
summary() {
  sort -n "$tmp/times.$1" | awk '{t[NR] = $1; if ($2 > m) m = $2}
    END {if (NR % 2) med = t[(NR + 1) / 2]; else med = (t[NR / 2] + t[NR / 2 + 1]) / 2; print med, m}'
}

echo "input: $(stat -c %s "$log") bytes ($(wc -l < "$log") lines), one core (cpu $cpu), median of $runs runs each, alternating"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 0; r < runs; r++)); do
  run grep taskset -c "$cpu" grep -c FAILED "$log"
  GOMAXPROCS=1 run wulog taskset -c "$cpu" "$tmp/wulog" parse --stats "$log"
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
read -r gt grss < <(summary grep)
read -r wt wrss < <(summary wulog)
echo "grep -c FAILED:        ${gt}s  peak RSS $((grss / 1024)) MiB  ($(cat "$tmp/out.grep") lines)  runs: $(cut -d' ' -f1 "$tmp/times.grep" | tr '\n' ' ')"
echo "wulog parse --stats:   ${wt}s  peak RSS $((wrss / 1024)) MiB  runs: $(cut -d' ' -f1 "$tmp/times.wulog" | tr '\n' ' ')"
sed 's/^/  /' "$tmp/out.wulog"
ratio=$(awk "BEGIN{printf \"%.2f\", $wt / $gt}")
echo "ratio wulog/grep: $ratio (goal <= 2.00); wulog peak RSS $((wrss / 1024)) MiB (goal < 64)"
awk "BEGIN{exit !($ratio <= 2.0 && $wrss < 65536)}" && echo "goal met" || echo "goal NOT met"
