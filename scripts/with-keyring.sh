#!/usr/bin/env bash
# Runs a command where the real OS keyring works on a headless Linux machine: inside a
# private D-Bus session with an unlocked gnome-keyring (a throwaway one, never the
# user's). Elsewhere, or when those programs are missing, runs the command as it is and
# the keyring tests skip themselves with the reason.
set -euo pipefail
if [ "$(uname -s)" = Linux ] && [ -z "${M365_IN_KEYRING_SESSION:-}" ] \
   && command -v dbus-run-session >/dev/null 2>&1 && command -v gnome-keyring-daemon >/dev/null 2>&1; then
  home=$(mktemp -d)
  trap 'rm -rf "$home"' EXIT
  export M365_IN_KEYRING_SESSION=1
  # gnome-keyring keeps its files under XDG_DATA_HOME: point it at the throwaway folder.
  XDG_DATA_HOME="$home" dbus-run-session -- sh -c \
    'echo throwaway | gnome-keyring-daemon --unlock --components=secrets >/dev/null && export M365_REAL_KEYRING=1 && exec "$@"' sh "$@"
else
  exec "$@"
fi
