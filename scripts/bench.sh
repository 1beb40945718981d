#!/usr/bin/env bash
# bench.sh: the speed and memory goal of the text log reader.
#
# Builds a 1 GiB Windows 10 log by repeating the Windows 10/11 files of the
# shared corpus, then times, on one core, `grep -c FAILED` and
# `wulog parse --stats` (every record parsed, every token extracted) on the
# same file in the same run, and prints the ratio and peak RSS.
# Goal: ratio <= 2.0 and wulog's peak RSS < 64 MiB.
#
# Usage: scripts/bench.sh [SIZE_MIB] (default 1024). Needs GNU time
# (/usr/bin/time) and taskset (util-linux); the machine is best left idle.
set -euo pipefail
cd "$(dirname "$0")/.."
size_mib=${1:-1024}
corpus=${CORPUS:-../shared/corpus}
runs=${RUNS:-3}
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

# best RUNS wall time (seconds) and max peak RSS (KiB) of a command
measure() {
  local best="" rss=0 t m
  for ((r = 0; r < runs; r++)); do
    /usr/bin/time -f "%e %M" -o "$tmp/time" "$@" > "$tmp/out"
    read -r t m < "$tmp/time"
    if [ -z "$best" ] || awk "BEGIN{exit !($t < $best)}"; then best=$t; fi
    [ "$m" -gt "$rss" ] && rss=$m
  done
  echo "$best $rss"
}

echo "input: $(stat -c %s "$log") bytes ($(wc -l < "$log") lines), one core (cpu $cpu), best of $runs"
read -r gt grss < <(measure taskset -c "$cpu" grep -c FAILED "$log")
echo "grep -c FAILED:        ${gt}s  peak RSS $((grss / 1024)) MiB  ($(cat "$tmp/out") lines)"
read -r wt wrss < <(GOMAXPROCS=1 measure taskset -c "$cpu" "$tmp/wulog" parse --stats "$log")
echo "wulog parse --stats:   ${wt}s  peak RSS $((wrss / 1024)) MiB"
sed 's/^/  /' "$tmp/out"
ratio=$(awk "BEGIN{printf \"%.2f\", $wt / $gt}")
echo "ratio wulog/grep: $ratio (goal <= 2.00); wulog peak RSS $((wrss / 1024)) MiB (goal < 64)"
awk "BEGIN{exit !($ratio <= 2.0 && $wrss < 65536)}" && echo "goal met" || echo "goal NOT met"
