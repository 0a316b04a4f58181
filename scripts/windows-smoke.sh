#!/usr/bin/env bash
# Smoke test of the Windows build under Wine (Debian's wine64) and Xvfb:
#   1. `m365connect.exe version` prints "m365connect VERSION" on stdout, and an unknown
#      command exits 2 with its message on stderr, `outbox --help` exits 0 with its usage
#      on stdout (the GUI-subsystem exe keeps the console handles it is given);
#   2. `m365connect.exe` with no arguments opens the wizard: a visible window titled
#      "M365 Connect" appears within a time limit, wholly on a 1280x800 screen, and shows
#      more than a blank surface (screenshot saved as dist/windows/wine-wizard.png).
#
# Usage: scripts/windows-smoke.sh PATH/TO/m365connect.exe VERSION
#
# Exit status: 0 passed (or skipped, see below), 1 the exe failed a check, 2 usage.
# What counts as what (CI runs this):
#   - SKIPPED (exit 0, or 1 with WINDOWS_SMOKE_STRICT=1) only when Wine or Xvfb (or the
#     tools that look at the window) are not installed at all: the message names which.
#     `scripts/deps.sh windows-smoke` installs them; on Debian/Ubuntu they always install.
#   - Everything else is checked, never excused: Xvfb starts first and every Wine step
#     (the prefix, the console runs, the window) runs with its DISPLAY, because a prefix
#     made without a display leaves Wine with no window driver ("nodrv_CreateWindow")
#     and the exe then dies in GLFW (NotInitialized). If Wine still logs that, the
#     prefix is made afresh with the display and the step runs again.
#   - Wine's first start is slow and occasionally hangs: a check that times out is run
#     once more in a fresh Wine session before it fails.
#   - Wrong or missing version output, a wrong exit status, a Go panic, a GLFW error, an
#     exe that exits before its window appears, no window, a window partly off screen or
#     a blank window: FAILED, exit 1.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 PATH/TO/m365connect.exe VERSION" >&2; exit 2; }
exe=$(readlink -f "$1"); want="m365connect $2"
[ -f "$exe" ] || { echo "windows-smoke: $1 not found (run make windows)" >&2; exit 1; }
here=$(dirname "$(readlink -f "$0")")
out=$(dirname "$(dirname "$exe")")   # dist/windows
shot="$out/wine-wizard.png"
rm -f "$shot" "$out/wine-wizard-as-opened.png"
logdir=$(mktemp -d /tmp/windows-smoke.XXXXXX)
# Time limits (seconds). Measured here: the prefix ~10 s, `version` ~3 s, the window ~13 s.
T_BOOT=180 T_CONSOLE=${WINDOWS_SMOKE_CONSOLE_TIMEOUT:-60} T_WINDOW=${WINDOWS_SMOKE_WINDOW_TIMEOUT:-90}

skip() {
  if [ "${WINDOWS_SMOKE_STRICT:-0}" = 1 ]; then
    echo "windows-smoke: FAILED (strict): $*" >&2; exit 1
  fi
  echo "windows-smoke: SKIPPED: $* (not a product failure; WINDOWS_SMOKE_STRICT=1 makes it one)" >&2
  exit 0
}
fail() { echo "windows-smoke: FAILED: $*" >&2; echo "windows-smoke: logs in $logdir" >&2; exit 1; }

wine=$(command -v wine64 || command -v wine || true)
[ -z "$wine" ] && [ -x /usr/lib/wine/wine64 ] && wine=/usr/lib/wine/wine64
[ -n "$wine" ] || skip "Wine is not installed (scripts/deps.sh windows-smoke installs wine64)"
wineserver=$(command -v wineserver64 || command -v wineserver || true)
[ -z "$wineserver" ] && [ -x /usr/lib/wine/wineserver64 ] && wineserver=/usr/lib/wine/wineserver64
for tool in Xvfb xdotool import convert x86_64-w64-mingw32-gcc; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/deps.sh windows-smoke installs it)"
done

# A throwaway prefix: nothing of the user's Wine set-up is read or changed.
export WINEPREFIX; WINEPREFIX=$(mktemp -d /tmp/windows-smoke-prefix.XXXXXX)
export WINEDEBUG=${WINEDEBUG:-err+all,fixme-all} WINEDLLOVERRIDES="mscoree,mshtml=" LANG=en_US.UTF-8
# Fyne needs OpenGL 2.1: Wine's opengl32 maps WGL onto the X server's GLX, drawn by Mesa.
export LIBGL_ALWAYS_SOFTWARE=1
unset WAYLAND_DISPLAY
xvfb_pid=""; app_pid=""
cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
  [ -n "$wineserver" ] && "$wineserver" -k 2>/dev/null || true
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
  rm -rf "$WINEPREFIX"
}
trap cleanup EXIT

# The X server comes first: every Wine process below, wineboot included, inherits DISPLAY.
start_xvfb() {
  local fifo="$logdir/display"
  rm -f "$fifo"; mkfifo "$fifo"
  Xvfb -displayfd 3 -screen 0 1280x800x24 +extension GLX -nolisten tcp -noreset \
    3>"$fifo" >"$logdir/xvfb.log" 2>&1 &
  xvfb_pid=$!
  local n
  if ! n=$(timeout 30 head -n1 "$fifo"); then return 1; fi
  export DISPLAY=":$n"
  xdotool getdisplaygeometry >/dev/null 2>&1 || return 1
}
stop_xvfb() {
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
  [ -n "$xvfb_pid" ] && wait "$xvfb_pid" 2>/dev/null || true
  xvfb_pid=""
}
# end_session: the app and every Wine process of the prefix end (a fresh session next).
end_session() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
  [ -n "$app_pid" ] && wait "$app_pid" 2>/dev/null || true
  app_pid=""
  [ -n "$wineserver" ] && "$wineserver" -k 2>/dev/null || true
  [ -n "$wineserver" ] && timeout 30 "$wineserver" -w 2>/dev/null || true
}
# display_ok: the X server still answers (else it is started again, same checks).
display_ok() {
  if [ -n "$xvfb_pid" ] && kill -0 "$xvfb_pid" 2>/dev/null && xdotool getdisplaygeometry >/dev/null 2>&1; then
    return 0
  fi
  stop_xvfb
  start_xvfb || fail "Xvfb did not start (see $logdir/xvfb.log)"
}

t0=$SECONDS
start_xvfb || fail "Xvfb did not start (see $logdir/xvfb.log)"
echo "windows-smoke: Xvfb on DISPLAY=$DISPLAY"

# make_prefix: a new prefix, created with the display, with the DLL shim Go needs.
make_prefix() {
  end_session
  rm -rf "$WINEPREFIX"; mkdir -p "$WINEPREFIX"
  display_ok
  if ! timeout "$T_BOOT" "$wine" wineboot --init >"$logdir/wineboot.log" 2>&1; then
    fail "wineboot could not create a Wine prefix with DISPLAY=$DISPLAY: $(tail -c 2000 "$logdir/wineboot.log")"
  fi
  # Wine 8 lacks bcryptprimitives.dll (Go >= 1.24 needs ProcessPrng): install a shim built
  # from scripts/wine/ into this throwaway prefix only. Real Windows 10/11 has the DLL.
  x86_64-w64-mingw32-gcc -shared -O2 -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
    "$here/wine/bcryptprimitives.c" "$here/wine/bcryptprimitives.def" -ladvapi32
}
# nodrv FILE...: Wine logged that it had no window driver (a prefix or session made
# without a display).
nodrv() { grep -qs -e 'nodrv_CreateWindow' -e 'no driver could be loaded' "$@"; }

make_prefix
if nodrv "$logdir/wineboot.log"; then
  echo "windows-smoke: wineboot had no window driver; making the prefix again" >&2
  make_prefix
  nodrv "$logdir/wineboot.log" && fail "Wine finds no window driver even with DISPLAY=$DISPLAY: $(grep -m3 -e nodrv -e 'no driver' "$logdir/wineboot.log")"
fi
echo "windows-smoke: Wine prefix ready in $((SECONDS - t0)) s ($("$wine" --version 2>/dev/null || echo wine))"

# console NAME ARGS...: runs the exe with stdout/stderr piped to files, once more in a
# fresh Wine session if the first run times out; sets rc.
console() {
  local name=$1; shift
  for try in 1 2; do
    rc=0
    display_ok
    timeout "$T_CONSOLE" "$wine" "$exe" "$@" </dev/null >"$logdir/$name.out" 2>"$logdir/$name.err" || rc=$?
    [ "$rc" -ne 124 ] && return 0
    echo "windows-smoke: '$*' timed out after ${T_CONSOLE} s (try $try)" >&2
    end_session
  done
}
# crashed FILE: a Go panic or a GLFW error in the exe's stderr.
crashed() { grep -qs -e '^panic:' -e 'fatal error:' -e 'GLFW' -e 'NotInitialized' "$1"; }

# 1. Console: the GUI-subsystem exe must write to the handles it was given.
console version version
got=$(tr -d '\r' <"$logdir/version.out")
echo "windows-smoke: m365connect.exe version -> ${got:-<nothing>} (exit $rc)"
[ "$rc" -eq 0 ] || fail "'m365connect.exe version' exited $rc; stderr: $(head -c 2000 "$logdir/version.err")"
[ "$got" = "$want" ] || fail "'m365connect.exe version' printed '${got}', want '$want'; stderr: $(head -c 2000 "$logdir/version.err")"

console unknown no-such-command
echo "windows-smoke: m365connect.exe no-such-command -> exit $rc"
[ "$rc" -eq 2 ] || fail "an unknown command exited $rc, want 2"
grep -q 'unknown command "no-such-command"' "$logdir/unknown.err" || fail "an unknown command did not say so on stderr"

console help outbox --help
echo "windows-smoke: m365connect.exe outbox --help -> exit $rc"
[ "$rc" -eq 0 ] || fail "'outbox --help' exited $rc, want 0"
grep -q 'Usage:' "$logdir/help.out" || fail "'outbox --help' printed no usage on stdout"

# 2. The wizard window, on the same X server.
# window_once: 0 window shown and screenshot taken; 1 the exe exited before showing it
# (a product failure); 2 no window within the time limit.
window_once() {
  display_ok
  local t=$SECONDS
  "$wine" "$exe" </dev/null >"$logdir/gui.out" 2>"$logdir/gui.err" &
  app_pid=$!
  local id=""
  while [ $((SECONDS - t)) -lt "$T_WINDOW" ]; do
    id=$(xdotool search --onlyvisible --name '^M365 Connect$' 2>/dev/null | head -n1) || true
    [ -n "$id" ] && break
    kill -0 "$app_pid" 2>/dev/null || { wait "$app_pid" || gui_rc=$?; app_pid=""; return 1; }
    sleep 1
  done
  [ -n "$id" ] || return 2
  echo "windows-smoke: wizard window $id visible after $((SECONDS - t)) s"
  sleep 5 # let the first frames render
  kill -0 "$app_pid" 2>/dev/null || { wait "$app_pid" || gui_rc=$?; app_pid=""; return 1; }
  eval "$(xdotool getwindowgeometry --shell "$id")" # X Y WIDTH HEIGHT
  win_geom="${WIDTH}x${HEIGHT} at ${X},${Y}"
  # The window must open fully on the 1280x800 screen. Windows does not pull a window
  # back on screen: a window centred while its content asked for more height than the
  # screen has opens with its title bar above the top edge, out of the user's reach
  # (seen before ui 7f0a2b2: 960x753 at 160,-212). Screenshot as opened, then the whole
  # window moved to 0,0 for the record; failed below.
  offscreen=""
  if [ "$X" -lt 0 ] || [ "$Y" -lt 0 ] || [ $((X + WIDTH)) -gt 1280 ] || [ $((Y + HEIGHT)) -gt 800 ]; then
    offscreen="$out/wine-wizard-as-opened.png"
    import -display "$DISPLAY" -window root "$offscreen"
    xdotool windowmove "$id" 0 0
    sleep 2
  fi
  import -display "$DISPLAY" -window root "$shot"
  import -display "$DISPLAY" -window "$id" "$logdir/window.png"
  win_colours=$(convert "$logdir/window.png" -format '%k' info:)
  return 0
}

gui_rc=0
for try in 1 2; do
  r=0; window_once || r=$?
  case $r in
    0) break ;;
    1) if [ "$try" -eq 1 ] && ! crashed "$logdir/gui.err" && nodrv "$logdir/gui.err"; then
         # Wine had no window driver although DISPLAY was set: repair by making the
         # prefix afresh, then once more. A Go panic or GLFW error is never retried.
         echo "windows-smoke: Wine had no window driver; making the prefix again" >&2
         make_prefix; continue
       fi
       fail "the exe exited (status $gui_rc) before its window appeared; stderr: $(tail -c 3000 "$logdir/gui.err")" ;;
    2) crashed "$logdir/gui.err" && fail "the exe crashed without a window; stderr: $(tail -c 3000 "$logdir/gui.err")"
       echo "windows-smoke: no 'M365 Connect' window within ${T_WINDOW} s (try $try)" >&2 ;;
  esac
  end_session
done
[ "$r" -eq 0 ] || fail "no visible window titled 'M365 Connect' within ${T_WINDOW} s, twice; stderr: $(tail -c 3000 "$logdir/gui.err")"
echo "windows-smoke: window $win_geom, $win_colours colours; screenshot $shot"
# Fyne draws everything with OpenGL: a window whose GL context failed stays one flat
# colour. The wizard's first step has text, buttons and the icon: hundreds of colours.
[ "${win_colours:-0}" -ge 50 ] || fail "the wizard window looks blank ($win_colours colours): OpenGL did not render (see $shot)"
[ -z "$offscreen" ] || fail "the window opened partly off the 1280x800 screen ($win_geom): see $offscreen"
crashed "$logdir/gui.err" && fail "the exe logged a crash or GLFW error: $(grep -m3 -e panic -e GLFW "$logdir/gui.err")"
end_session
rm -rf "$logdir"
echo "windows-smoke: passed in $((SECONDS - t0)) s"
