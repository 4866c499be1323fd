#!/usr/bin/env bash
# Installs oneDNN (Debian's libdnnl-dev) and builds the native tfjs backend addon.
# Usage: npm run setup:native   (needs root or sudo for apt-get)
set -u
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup-native: not root and no sudo; install libdnnl-dev yourself, then run: node scripts/build-native.mjs" >&2
    exit 1
  fi
fi

if [ -f /usr/include/oneapi/dnnl/dnnl.hpp ] || [ -f /usr/include/dnnl.hpp ]; then
  echo "setup-native: oneDNN headers already present"
else
  export DEBIAN_FRONTEND=noninteractive
  # A failing update (an unreachable mirror) must not stop the install from the cached lists.
  $SUDO apt-get update -y || echo "setup-native: apt-get update failed; trying the cached package lists" >&2
  if ! $SUDO apt-get install -y --no-install-recommends libdnnl-dev; then
    echo "setup-native: apt-get install libdnnl-dev failed" >&2
    exit 1
  fi
fi

exec node scripts/build-native.mjs --required
