#!/usr/bin/env bash
# Builds fluxgate and runs every test: a GCC debug build with the
# integration tests, consumer projects, examples and the API reference,
# then the whole suite again under ASan+UBSan (GCC) and under TSan with
# Clang's thread-safety analysis. Installs missing Debian packages first
# when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

fluxgate_install_packages "${FLUXGATE_BUILD_PACKAGES[@]}" "${FLUXGATE_COMPONENT_PACKAGES[@]}" \
    "${FLUXGATE_TEST_PACKAGES[@]}"

jobs=$(nproc)
summary=()
for preset in dev asan tsan; do
    echo "=== ${preset}: configure and build"
    cmake --preset "$preset" >/dev/null
    cmake --build --preset "$preset" -j "$jobs"
    echo "=== ${preset}: test"
    ctest --preset "$preset" -j "$jobs"
    summary+=("$preset")
done
echo "=== all tests passed in presets: ${summary[*]}"
