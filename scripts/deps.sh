#!/usr/bin/env bash
# Installs what building and testing m365connect needs, and only what is missing.
# Debian/Ubuntu: installs the packages with apt-get (as root, or through sudo).
# Elsewhere: says what to install by hand. Safe to run again and again.
#
#   scripts/deps.sh            packages for building and testing on Linux
#   scripts/deps.sh windows    also the mingw-w64 cross compiler for the Windows build
#   scripts/deps.sh windows windows-smoke   and Wine + Xvfb to smoke-test the .exe
set -euo pipefail

# Fyne's cgo build (GLFW + OpenGL): each of these is needed; see shared RECIPES.
pkgs=(gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev libxrandr-dev
      libxinerama-dev libxi-dev libxxf86vm-dev)
# Tests of the real OS keyring run inside a private D-Bus session with gnome-keyring.
pkgs+=(dbus gnome-keyring)
for extra in "$@"; do
  case "$extra" in
    windows) pkgs+=(gcc-mingw-w64-x86-64 zip) ;;
    gui-check) pkgs+=(xvfb xauth xdotool imagemagick) ;;
    # Wine runs the .exe (Debian's Wine 8); Mesa's software OpenGL draws its window on Xvfb.
    windows-smoke) pkgs+=(wine64 libgl1-mesa-dri xvfb xauth xdotool imagemagick) ;;
    *) echo "deps.sh: unknown extra '$extra' (windows, windows-smoke, gui-check)" >&2; exit 2 ;;
  esac
done

if ! command -v go >/dev/null 2>&1; then
  echo "Go is not installed: install Go 1.26 or newer from https://go.dev/dl/ and run this again." >&2
  exit 1
fi

if command -v dpkg-query >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if ((${#missing[@]})); then
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
      command -v sudo >/dev/null 2>&1 || { echo "deps.sh: run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
      sudo=(sudo)
    fi
    echo "Installing: ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "System packages: all present."
  fi
else
  cat <<'MSG'
This is not a Debian/Ubuntu system: install by hand what Fyne needs to build
(https://docs.fyne.io/started/): a C compiler and the OpenGL + X11 development headers.
  Fedora:  dnf install gcc libXcursor-devel libXrandr-devel mesa-libGL-devel libXi-devel libXinerama-devel libXxf86vm-devel
  Arch:    pacman -S go xorg-server-devel libxcursor libxrandr libxinerama libxi
  macOS:   xcode-select --install
  Windows: install a gcc such as MSYS2's mingw-w64-x86_64-gcc and put it on PATH
MSG
fi

go mod download
