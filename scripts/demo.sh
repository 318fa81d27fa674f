#!/usr/bin/env bash
# Builds and runs fluxgate-demo: one circuit breaker in front of an HTTP
# service that fails on a script. Arguments are passed to the demo, for
# example: scripts/demo.sh --timeline demo.svg
#
# Run as root on a fresh Debian 12 machine, it first installs the Debian
# packages the build needs; a machine that has them installs nothing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

source scripts/deps.sh
# The release preset configures the tests too, so GoogleTest must be present.
fluxgate_install_packages "${FLUXGATE_BUILD_PACKAGES[@]}" libgtest-dev libgmock-dev \
    libcpp-httplib-dev libcurl4-openssl-dev nlohmann-json3-dev

cmake --preset release -DFLUXGATE_BUILD_EXAMPLES=ON
cmake --build --preset release --target fluxgate-demo
exec build/release/examples/demo/fluxgate-demo "$@"
