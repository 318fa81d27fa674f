#!/usr/bin/env bash
# Builds the benchmarks in the release preset and runs them, printing the
# median of repeated runs for every benchmark. Extra arguments go to the
# benchmark binary (for example --benchmark_filter=Closed).
# Installs missing Debian packages first when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh

fluxgate_install_packages "${FLUXGATE_BUILD_PACKAGES[@]}" libbenchmark-dev

repetitions=${FLUXGATE_BENCH_REPETITIONS:-5}
cmake --preset release -DFLUXGATE_BUILD_BENCHMARKS=ON -DFLUXGATE_BUILD_TESTS=OFF >/dev/null
cmake --build --preset release --target fluxgate_benchmark
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), clock source $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null || echo unknown)"
exec ./build/release/bench/fluxgate_benchmark \
    --benchmark_repetitions="$repetitions" \
    --benchmark_report_aggregates_only=true \
    --benchmark_display_aggregates_only=true \
    --benchmark_color=false \
    "$@"
