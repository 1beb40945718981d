#!/usr/bin/env bash
# wine-test.sh: the Windows test tier. It builds the packages that have
# Windows-only tests for GOOS=windows and runs their test binaries under
# Wine (docs: ../shared/docs/windows-testing.md and docs/bundle.md).
#
# Everything Wine writes (prefix, HOME, TMPDIR) stays under .cache/wine in
# the repository, which is gitignored. The script installs Wine and the
# mingw-w64 binutils with apt-get when they are missing, creates the prefix
# once, builds the bcryptprimitives.dll forwarder that Go 1.22+ programs
# need under Wine 8, runs the tests with their output in a file (Wine's
# helper processes inherit stdout, so a pipe can hang), waits for the Wine
# server to exit and exits non-zero when a test failed.
#
# The Windows tests are the tests named TestWindows* in packages that have a
# Windows-only test file; only those run under Wine (the others run
# natively in the normal test command).
#
# Usage: scripts/wine-test.sh [go test flags, e.g. -v or -run TestWindowsChain]
# Env:   WINE_TEST_PKGS overrides the package list; WINE_TEST_TIMEOUT (10m).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$(date +%s)
say() { printf 'wine-test: %s (%ss)\n' "$*" "$(( $(date +%s) - start ))"; }

find_wine64() {
  for c in /usr/lib/wine/wine64 /usr/bin/wine64 /usr/lib/x86_64-linux-gnu/wine/wine64; do
    [ -x "$c" ] && { echo "$c"; return 0; }
  done
  return 1
}

# 1. Tools.
if ! find_wine64 >/dev/null || ! command -v x86_64-w64-mingw32-dlltool >/dev/null 2>&1; then
  say "installing wine64, wine, binutils-mingw-w64-x86-64"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends wine64 wine binutils-mingw-w64-x86-64 >/dev/null
fi
wine64=$(find_wine64) || { echo "wine-test: wine64 not found after install" >&2; exit 1; }
wineserver=$(dirname "$wine64")/wineserver
[ -x "$wineserver" ] || wineserver=$(command -v wineserver)

# 2. Go settings, read before HOME and TMPDIR move (they derive from HOME).
export GOCACHE="$(go env GOCACHE)" GOMODCACHE="$(go env GOMODCACHE)" GOPATH="$(go env GOPATH)"
export GOFLAGS="${GOFLAGS:-}"

# 3. A Wine prefix inside the build folder.
cache="$root/.cache/wine"
mkdir -p "$cache/home" "$cache/tmp"
export WINEPREFIX="$cache/prefix" HOME="$cache/home" TMPDIR="$cache/tmp"
export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml=" WINEARCH=win64
unset DISPLAY
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  say "creating the Wine prefix $WINEPREFIX"
  "$wine64" wineboot --init >"$cache/wineboot.log" 2>&1 || { cat "$cache/wineboot.log"; exit 1; }
  "$wineserver" -w
fi
dll="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$dll" ]; then
  say "building the bcryptprimitives.dll forwarder (ProcessPrng -> SystemFunction036)"
  printf 'LIBRARY bcryptprimitives.dll\nEXPORTS\nProcessPrng = advapi32.SystemFunction036\n' >"$cache/bcp.def"
  x86_64-w64-mingw32-dlltool -d "$cache/bcp.def" -e "$cache/bcp-exp.o"
  x86_64-w64-mingw32-ld --dll --entry=0 -nostdlib -o "$dll" "$cache/bcp-exp.o"
fi

# 4. Packages with Windows-only tests: test files named *_windows_test.go or
# carrying a windows build constraint.
if [ -n "${WINE_TEST_PKGS:-}" ]; then
  pkgs=$WINE_TEST_PKGS
else
  pkgs=$(git ls-files -co --exclude-standard '*_test.go' \
    | xargs -r grep -l -E '^//go:build (.*[^!])?windows' 2>/dev/null \
    | cat - <(git ls-files -co --exclude-standard '*_windows_test.go') \
    | xargs -r -n1 dirname | sort -u | sed 's|^|./|')
fi
[ -n "$pkgs" ] || { echo "wine-test: no package has Windows tests" >&2; exit 1; }

# 5. Run, from a clean temporary folder and revocation cache.
rm -rf "$WINEPREFIX"/drive_c/users/*/Temp/* "$WINEPREFIX"/drive_c/users/*/AppData/LocalLow/Microsoft/CryptnetUrlCache
run='^TestWindows'
for a in "$@"; do case "$a" in -run|-run=*) run='';; esac; done
set -- ${run:+-run "$run"} "$@"
out="$cache/go-test.out"
say "go test under Wine: $(echo $pkgs | tr '\n' ' ')"
rc=0
CGO_ENABLED=0 GOOS=windows GOARCH=amd64 timeout "${WINE_TEST_TIMEOUT:-10m}" \
  go test -count=1 -exec "$wine64" "$@" $pkgs >"$out" 2>&1 </dev/null || rc=$?
cat "$out"
"$wineserver" -w || true
say "done, exit $rc"
exit $rc
