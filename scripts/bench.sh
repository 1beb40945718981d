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
# With ANALYZE=1 it measures the analysis goal of issue 4 instead: on the
# same file, one core, alternating, `wulog parse --stats` (scanning alone)
# and `wulog analyze --format json --progress never` (scanning, the
# evidence fold, the rules and the report); it prints the medians of the
# wall-clock and of the CPU (user+system) times, the peak RSS of both and
# the overhead of analyze over parse. Goal: overhead <= 30%, judged on CPU
# time (on a shared machine, wall time also counts the waits for a CPU).
#
# Usage: scripts/bench.sh [SIZE_MIB] (default 1024). Environment: RUNS
# (default 5), CPU (default 0), CORPUS (default ../shared/corpus), ANALYZE
# (1: the analysis goal), LOG (an existing log to time instead of building
# one; SIZE_MIB is then ignored). Needs GNU time (/usr/bin/time) and
# taskset (util-linux); the machine is best left idle: the load average is
# printed before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
corpus=${CORPUS:-../shared/corpus}
runs=${RUNS:-5}
cpu=${CPU:-0}
analyze=${ANALYZE:-0}

[ -n "${LOG:-}" ] || ls "$corpus"/win1*.log >/dev/null 2>&1 || { echo "no Windows 10/11 logs in $corpus" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time (/usr/bin/time) is needed" >&2; exit 1; }
command -v taskset >/dev/null || { echo "taskset is needed" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/wulog" ./cmd/wulog

if [ -n "${LOG:-}" ]; then
  log=$LOG
  [ -r "$log" ] || { echo "cannot read $log" >&2; exit 1; }
else
  log="$tmp/WindowsUpdate.log"
  target=$((size_mib * 1024 * 1024))
  cat "$corpus"/win1*.log > "$tmp/one"
  one=$(stat -c %s "$tmp/one")
  reps=$(( (target + one - 1) / one ))
  for ((i = 0; i < reps; i++)); do cat "$tmp/one"; done > "$log"
  truncate -s "$target" "$log" # may cut the last line: the reader must cope
  rm "$tmp/one"
fi
cat "$log" > /dev/null # into the page cache

# run CMD...: one timed run, appending "seconds rss_kib cpu_seconds" to
# $tmp/times.NAME
run() {
  local name=$1
  shift
  local rc=0
  /usr/bin/time -f "%e %M %U %S" -o "$tmp/time" "$@" > "$tmp/out.$name" || rc=$?
  [ "$rc" -eq 0 ] || { echo "$name exited with status $rc" >&2; exit 1; }
  awk '{print $1, $2, $3 + $4}' "$tmp/time" >> "$tmp/times.$name"
}

# median of column COL of the runs of NAME
median() {
  awk -v c="$2" '{print $c}' "$tmp/times.$1" | sort -n | awk '{t[NR] = $1}
    END {if (NR % 2) print t[(NR + 1) / 2]; else print (t[NR / 2] + t[NR / 2 + 1]) / 2}'
}

# median seconds and max RSS (KiB) of the runs of NAME
summary() {
  echo "$(median "$1" 1) $(awk '$2 > m {m = $2} END {print m}' "$tmp/times.$1")"
}

if [ "$analyze" = 1 ]; then
  echo "input: $log, $(stat -c %s "$log") bytes ($(wc -l < "$log") lines), one core (cpu $cpu), GOMAXPROCS=1, median of $runs runs each, alternating"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  for ((r = 0; r < runs; r++)); do
    if ((r % 2 == 0)); then
      GOMAXPROCS=1 run parse taskset -c "$cpu" "$tmp/wulog" parse --stats "$log"
      GOMAXPROCS=1 run analyze taskset -c "$cpu" "$tmp/wulog" analyze --format json --progress never "$log"
    else
      GOMAXPROCS=1 run analyze taskset -c "$cpu" "$tmp/wulog" analyze --format json --progress never "$log"
      GOMAXPROCS=1 run parse taskset -c "$cpu" "$tmp/wulog" parse --stats "$log"
    fi
  done
  echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
  read -r pt prss < <(summary parse)
  read -r at arss < <(summary analyze)
  pc=$(median parse 3)
  ac=$(median analyze 3)
  echo "wulog parse --stats:    wall ${pt}s  cpu ${pc}s  peak RSS $((prss / 1024)) MiB  wall runs: $(cut -d' ' -f1 "$tmp/times.parse" | tr '\n' ' ')"
  echo "wulog analyze (json):   wall ${at}s  cpu ${ac}s  peak RSS $((arss / 1024)) MiB  wall runs: $(cut -d' ' -f1 "$tmp/times.analyze" | tr '\n' ' ')"
  grep -m1 '"failure_chains"' "$tmp/out.analyze" | sed 's/^ */  /'
  wall=$(awk "BEGIN{printf \"%.1f\", 100 * ($at / $pt - 1)}")
  over=$(awk "BEGIN{printf \"%.1f\", 100 * ($ac / $pc - 1)}")
  echo "analysis overhead: ${over}% of CPU time (wall time: ${wall}%); goal <= 30%"
  awk "BEGIN{exit !($over <= 30)}" && echo "goal met" || echo "goal NOT met"
  exit 0
fi

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
