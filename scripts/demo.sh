#!/usr/bin/env bash
# Builds and runs fluxgate-demo: one circuit breaker in front of an HTTP
# service that fails on a script. Arguments are passed to the demo, for
# example: scripts/demo.sh --timeline demo.svg
#
# Run as root on a fresh Debian 12 machine, it first installs the Debian
# packages the build needs; a machine that has them installs nothing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

packages=(g++ cmake ninja-build pkg-config libgtest-dev libgmock-dev
          libcpp-httplib-dev libcurl4-openssl-dev nlohmann-json3-dev)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed'; then
    missing+=("$package")
  fi
done

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "demo.sh: missing Debian packages: ${missing[*]}" >&2
    echo "demo.sh: run this script as root to install them, or run: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "demo.sh: installing ${missing[*]}" >&2
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

cmake --preset release
cmake --build --preset release --target fluxgate-demo
exec build/release/examples/demo/fluxgate-demo "$@"
