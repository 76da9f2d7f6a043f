#!/usr/bin/env bash
# Installs the system tools medprep's build and tests need and a fresh machine may lack:
#   cmake - builds CharLS (JPEG-LS) and libjpeg-turbo (JPEG) from source;
#   nasm  - optional, gives libjpeg-turbo its SIMD code paths (without it JPEG decoding
#           still works, only slower);
#   java  - 17 or later, for Spark in the engine tests (Debian's openjdk-17-jre-headless);
#   a Vulkan driver for the GPU backend's tests - where no Vulkan driver is installed,
#           mesa-vulkan-drivers (lavapipe, Mesa's Vulkan on the CPU) and the libvulkan1
#           loader. lavapipe checks correctness, not speed.
# Uses apt-get when running as root (or with sudo), else falls back to pip for cmake.
set -euo pipefail

# The major version of `java` on PATH (0 when there is none); "1.8.0" counts as 8.
java_major() {
  local version
  version="$(java -version 2>&1 | sed -n 's/.* version "\([0-9.]*\).*/\1/p' | head -1)" || true
  case "$version" in
    1.*) version="${version#1.}" ;;
  esac
  echo "${version%%.*}" | grep -E '^[0-9]+$' || echo 0
}

need=()
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v nasm >/dev/null 2>&1 || need+=(nasm)
[ "$(java_major)" -ge 17 ] || need+=(openjdk-17-jre-headless)
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
[ "$(java_major)" -ge 17 ] || { echo "setup: Java 17 or later is required by the engine tests (Spark); install it (Debian: apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
