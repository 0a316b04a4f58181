#!/usr/bin/env bash
# Looks inside the Linux release bundle that `make package` made (CI runs this):
#   - the archive holds the binary, a .desktop file and the icon (under usr/local/);
#   - the .desktop file names the app, runs that binary and uses that icon;
#   - the icon is a PNG; the binary, unpacked, prints the version from FyneApp.toml for
#     `--version` and answers `--help` on stdout with nothing on stderr under LANG=C.UTF-8.
#
# Usage: scripts/check-package.sh dist/NAME.tar.xz VERSION      exit 0 ok, 1 a check failed
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 ARCHIVE.tar.xz VERSION" >&2; exit 2; }
archive=$1 want="m365connect $2"
fail() { echo "check-package: FAILED: $*" >&2; exit 1; }
[ -f "$archive" ] || fail "$archive not found"
list=$(tar -tJf "$archive") || fail "$archive is not a readable .tar.xz"
# fyne package puts everything under APP/usr/local/ (or APP/usr/ where the build machine
# has no /usr/local), beside a Makefile that installs it.
find1() { grep -E "$1" <<<"$list" | head -n1 || true; }
bin=$(find1 '(^|/)usr/(local/)?bin/[^/]+$')
desktop=$(find1 '(^|/)usr/(local/)?share/applications/[^/]+\.desktop$')
icon=$(find1 '(^|/)usr/(local/)?share/pixmaps/[^/]+\.png$')
[ -n "$bin" ] || fail "no binary under usr/local/bin in $archive:"$'\n'"$list"
[ -n "$desktop" ] || fail "no .desktop file under usr/local/share/applications in $archive"
[ -n "$icon" ] || fail "no PNG icon under usr/local/share/pixmaps in $archive"

dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
tar -xJf "$archive" -C "$dir"
grep -qx 'Name=M365 Connect' "$dir/$desktop" || fail "$desktop: no 'Name=M365 Connect'"
exe=$(sed -n 's/^Exec=//p' "$dir/$desktop" | head -n1)
b=$(basename "$bin")
[ "$exe" = "$b" ] || [[ "$exe" == "$b "* ]] || fail "$desktop runs '$exe', the archive's binary is $(basename "$bin")"
ic=$(sed -n 's/^Icon=//p' "$dir/$desktop" | head -n1)
[ "$ic" = "$(basename "$icon" .png)" ] || [ "$ic" = "$(basename "$icon")" ] || [ "$ic" = "/$icon" ] || fail "$desktop: Icon=$ic, the archive's icon is $icon"
[ "$(head -c 8 "$dir/$icon" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "$icon is not a PNG"
[ -x "$dir/$bin" ] || fail "$bin is not executable"
got=$(env -u LC_ALL LANG=C.UTF-8 "$dir/$bin" --version 2>"$dir/err") || fail "$bin --version failed: $(cat "$dir/err")"
[ "$got" = "$want" ] || fail "$bin --version printed '$got', want '$want'"
[ ! -s "$dir/err" ] || fail "$bin --version wrote to stderr: $(cat "$dir/err")"
env -u LC_ALL LANG=C.UTF-8 "$dir/$bin" --help >"$dir/help" 2>"$dir/err" || fail "$bin --help failed"
grep -q '^Usage:' "$dir/help" && [ ! -s "$dir/err" ] || fail "$bin --help: no usage on stdout, or stderr: $(cat "$dir/err")"
echo "check-package: $archive holds $bin ($want), $desktop and $icon"
