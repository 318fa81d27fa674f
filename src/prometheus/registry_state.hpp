#pragma once

// The contents a `Registry` shares with its listeners, registrations and
// servers, so each of them may outlive the `Registry` object.

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <fluxgate/circuit_breaker.hpp>
#include <fluxgate/metric.hpp>
#include <fluxgate/state.hpp>

namespace fluxgate::prometheus::detail {

/// The series a `PrometheusListener` keeps for one circuit name.
struct CircuitSeries {
    State state = State::closed;
    /// Transition counts, indexed by `transition_index(old_state, new_state)`.
    std::array<std::int64_t, static_cast<std::size_t>(kStateCount) * kStateCount> transitions{};
    /// Set by `close()`; a closed entry is out of the registry and ignores signals.
    bool closed = false;
};

[[nodiscard]] constexpr std::size_t transition_index(State old_state, State new_state) noexcept {
    return static_cast<std::size_t>(old_state) * kStateCount + static_cast<std::size_t>(new_state);
}

/// A breaker whose call metrics are read at rendering time.
struct BreakerSource {
    std::uint64_t id = 0;
    const CircuitBreaker* breaker = nullptr;
    /// The breaker's `SlowRate` thresholds, plus any other threshold seen in
    /// its metric (from a user window). A metric lists only thresholds that
    /// some call in it reached, so this keeps every ratio published, at 0
    /// while no slow call is in the window.
    Thresholds thresholds;
};

struct RegistryState {
    /// Guards every field below. `render()` holds it while it calls `info()`
    /// of the registered breakers, and listeners take it on each transition.
    std::mutex mutex;
    std::map<std::string, std::shared_ptr<CircuitSeries>, std::less<>> circuits;
    std::map<std::string, BreakerSource, std::less<>> breakers;
    std::uint64_t next_breaker_id = 1;

    /// Renders every family in the text exposition format.
    [[nodiscard]] std::string render();
};

}  // namespace fluxgate::prometheus::detail
