#!/usr/bin/env bash
# Installs the system tools medprep's build needs and a fresh machine may lack:
#   cmake - builds CharLS (JPEG-LS) and libjpeg-turbo (JPEG) from source;
#   nasm  - optional, gives libjpeg-turbo its SIMD code paths (without it JPEG decoding
#           still works, only slower);
#   a Vulkan driver for the GPU backend's tests - where no Vulkan driver is installed,
#           mesa-vulkan-drivers (lavapipe, Mesa's Vulkan on the CPU) and the libvulkan1
#           loader. lavapipe checks correctness, not speed.
# Uses apt-get when running as root (or with sudo), else falls back to pip for cmake.
set -euo pipefail

need=()
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v nasm >/dev/null 2>&1 || need+=(nasm)
vulkan_driver() {
  compgen -G '/usr/share/vulkan/icd.d/*.json' >/dev/null || compgen -G '/etc/vulkan/icd.d/*.json' >/dev/null
}
vulkan_loader() {
  compgen -G '/usr/lib/*/libvulkan.so.1' >/dev/null || compgen -G '/usr/lib*/libvulkan.so.1' >/dev/null
}
if [ "$(uname -s)" = Linux ] && ! { vulkan_driver && vulkan_loader; }; then
  need+=(mesa-vulkan-drivers libvulkan1)
fi
[ ${#need[@]} -eq 0 ] && exit 0

apt=()
if command -v apt-get >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then apt=(apt-get); elif command -v sudo >/dev/null 2>&1; then apt=(sudo apt-get); fi
fi

if [ ${#apt[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]} with apt-get" >&2
  "${apt[@]}" update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive "${apt[@]}" install -y -qq "${need[@]}" >/dev/null
else
  if [[ " ${need[*]} " == *" cmake "* ]]; then
    echo "setup: installing cmake with pip (no apt-get available); nasm not installed, JPEG decoding will not use SIMD" >&2
    python3 -m pip install --user --quiet cmake
    export PATH="$HOME/.local/bin:$PATH"
  fi
  if [[ " ${need[*]} " == *" mesa-vulkan-drivers "* ]]; then
    echo "setup: no Vulkan driver and no apt-get; the GPU tests will skip (or fail where MEDPREP_REQUIRE_GPU=1)" >&2
  fi
fi
command -v cmake >/dev/null 2>&1 || { echo "setup: cmake is required; install it (Debian: apt-get install cmake, or pip install cmake)" >&2; exit 1; }
