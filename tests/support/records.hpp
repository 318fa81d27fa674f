#pragma once

// Builders for the records that metric, window and tripper tests feed in, and
// a GoogleTest printer so that a failed comparison of metrics shows their fields.

#include <fluxgate/clock.hpp>
#include <fluxgate/metric.hpp>

#include <ostream>

namespace fluxgate::test_support {

/// Returns a successful call that finished at `timestamp` and took `duration`.
[[nodiscard]] inline Record success_at(TimePoint timestamp, Duration duration = Duration(1'000'000)) {
    return Record{.success = true, .duration = duration, .slow_at = {}, .timestamp = timestamp};
}

/// Returns a failed call that finished at `timestamp` and took `duration`.
[[nodiscard]] inline Record failure_at(TimePoint timestamp, Duration duration = Duration(1'000'000)) {
    return Record{.success = false, .duration = duration, .slow_at = {}, .timestamp = timestamp};
}

}  // namespace fluxgate::test_support

namespace fluxgate {

// Found by GoogleTest through argument-dependent lookup.
inline void PrintTo(const Metric& metric, std::ostream* out) {
    *out << "{total " << metric.total_count << ", failures " << metric.failure_count << ", duration "
         << metric.total_duration.count() << "ns, slow";
    for (Duration threshold : metric.thresholds()) {
        *out << " " << threshold.count() << "ns:" << metric.slow_count(threshold);
    }
    *out << "}";
}

}  // namespace fluxgate
