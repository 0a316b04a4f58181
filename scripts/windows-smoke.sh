#!/usr/bin/env bash
# Smoke test of the Windows build under Wine (Debian's wine64) and Xvfb:
#   1. `m365connect.exe version` prints the version to the console;
#   2. `m365connect.exe` with no arguments opens the wizard window (screenshot saved).
# Usage: scripts/windows-smoke.sh PATH/TO/m365connect.exe VERSION
set -euo pipefail
exe=$(readlink -f "$1"); want="$2"
out=$(dirname "$exe")/..
wine=$(command -v wine64 || command -v wine || true)
[ -z "$wine" ] && [ -x /usr/lib/wine/wine64 ] && wine=/usr/lib/wine/wine64
if [ -z "$wine" ]; then
  echo "windows-smoke: Wine is not installed (apt-get install wine64); skipping." >&2
  exit 0
fi
export WINEPREFIX; WINEPREFIX=$(mktemp -d); export WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
trap 'rm -rf "$WINEPREFIX"' EXIT
here=$(dirname "$(readlink -f "$0")")
timeout 300 "$wine" wineboot --init >/dev/null 2>&1 || true
# Wine 8 lacks bcryptprimitives.dll (Go >= 1.24 needs ProcessPrng): install a shim built
# from scripts/wine/ into this throwaway prefix only.
x86_64-w64-mingw32-gcc -shared -O2 -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
  "$here/wine/bcryptprimitives.c" "$here/wine/bcryptprimitives.def" -ladvapi32

got=$(timeout 120 "$wine" "$exe" version 2>/dev/null | tr -d '\r')
echo "wine: m365connect.exe version -> $got"
[ "$got" = "m365connect $want" ] || { echo "windows-smoke: expected 'm365connect $want'" >&2; exit 1; }

if ! command -v xvfb-run >/dev/null || ! command -v xdotool >/dev/null || ! command -v import >/dev/null; then
  echo "windows-smoke: xvfb-run, xdotool or imagemagick missing (scripts/deps.sh gui-check); window check skipped." >&2
  exit 0
fi
shot="$out/wine-wizard.png"
timeout 300 xvfb-run -a -s "-screen 0 1024x768x24" bash -c '
  "$1" "$2" >/dev/null 2>&1 &
  pid=$!
  id=$(timeout 180 xdotool search --sync --onlyvisible --name "M365 Connect" | head -1) || true
  if [ -z "$id" ]; then echo "windows-smoke: no wizard window appeared" >&2; kill $pid; exit 1; fi
  sleep 3
  /usr/bin/import -window root "$3"
  echo "wine: wizard window $id, screenshot $3"
  kill $pid 2>/dev/null || true
' _ "$wine" "$exe" "$shot"
