#pragma once

/// @file
/// `Info`: a snapshot of a breaker.

#include <cstdint>

#include <fluxgate/clock.hpp>
#include <fluxgate/metric.hpp>
#include <fluxgate/state.hpp>

namespace fluxgate {

/// Calls a breaker has seen since it was built, by outcome. The counts only
/// grow; transitions do not reset them.
struct CallCounts {
    std::int64_t successful = 0;  ///< Recorded successes, stale ones included.
    std::int64_t failed = 0;      ///< Recorded failures, stale ones included.
    std::int64_t rejected = 0;    ///< Calls rejected without running.
    std::int64_t ignored = 0;     ///< Calls whose exception the tracker did not count, or of a non-standard type.
    std::int64_t stale = 0;       ///< Outcomes discarded because the circuit changed state while the call ran.
};

/// A consistent snapshot of a breaker.
struct Info {
    /// The state at the time of the snapshot.
    State state = State::closed;
    WallTime changed_at{};  ///< Wall-clock time of the last transition (or of construction).
    int reopens = 0;        ///< Reopens from HALF_OPEN since the circuit was last CLOSED.
    Metric metrics;         ///< The window's metric at the time of the snapshot.
    CallCounts calls;       ///< Totals since construction.
};

}  // namespace fluxgate
