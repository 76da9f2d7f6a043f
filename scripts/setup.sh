#!/usr/bin/env bash
# Installs the system tools medprep's build needs and a fresh machine may lack:
#   cmake - builds CharLS (JPEG-LS) and libjpeg-turbo (JPEG) from source;
#   nasm  - optional, gives libjpeg-turbo its SIMD code paths (without it JPEG decoding
#           still works, only slower).
# Uses apt-get when running as root (or with sudo), else falls back to pip for cmake.
set -euo pipefail

need=()
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v nasm >/dev/null 2>&1 || need+=(nasm)
[ ${#need[@]} -eq 0 ] && exit 0

apt=()
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then apt=(apt-get); elif command -v sudo >/dev/null 2>&1; then apt=(sudo apt-get); fi
fi

if [ ${#apt[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]} with apt-get" >&2
  "${apt[@]}" update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq "${need[@]}" >/dev/null
elif [[ " ${need[*]} " == *" cmake "* ]]; then
  echo "setup: installing cmake with pip (no apt-get available); nasm not installed, JPEG decoding will not use SIMD" >&2
  python3 -m pip install --user --quiet cmake
  export PATH="$HOME/.local/bin:$PATH"
fi
command -v cmake >/dev/null 2>&1 || { echo "setup: cmake is required; install it (Debian: apt-get install cmake, or pip install cmake)" >&2; exit 1; }
