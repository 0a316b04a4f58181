#!/usr/bin/env bash
# Runs a command with an X display, for the test of the real window (ui/realwindow).
# With DISPLAY set, runs the command as it is. Otherwise, on Linux, starts a private
# Xvfb for the command's lifetime (installing it through `scripts/deps.sh gui-check`
# when it is missing) and stops it afterwards. Where no display can be had, the
# real-window test skips itself with the reason; under CI (CI set) that is an error
# instead, so the pipeline always runs it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "${DISPLAY:-}" ] || [ "$(uname -s)" != Linux ]; then
  exec "$@"
fi
if ! command -v Xvfb >/dev/null 2>&1; then
  "$here/deps.sh" gui-check >&2 || echo "with-xvfb.sh: could not install Xvfb (scripts/deps.sh gui-check)" >&2
fi
if ! command -v Xvfb >/dev/null 2>&1; then
  if [ -n "${CI:-}" ]; then
    echo "with-xvfb.sh: no X display and no Xvfb under CI: the real-window test cannot run" >&2
    exit 1
  fi
  exec "$@"
fi
tmp=$(mktemp -d)
xpid=
cleanup() {
  if [ -n "$xpid" ]; then kill "$xpid" 2>/dev/null || true; wait "$xpid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
# -displayfd: Xvfb picks a free display number and writes it once it accepts clients.
Xvfb -displayfd 3 -screen 0 1280x900x24 -nolisten tcp 3>"$tmp/display" 2>"$tmp/xvfb.log" &
xpid=$!
for _ in $(seq 100); do
  [ -s "$tmp/display" ] && break
  kill -0 "$xpid" 2>/dev/null || break
  sleep 0.1
done
if [ ! -s "$tmp/display" ]; then
  echo "with-xvfb.sh: Xvfb did not start:" >&2
  cat "$tmp/xvfb.log" >&2
  exit 1
fi
DISPLAY=":$(head -n1 "$tmp/display")"
export DISPLAY
"$@"
