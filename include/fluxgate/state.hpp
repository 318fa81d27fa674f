#pragma once

/// @file
/// Breaker states, transition signals and the rejection error.

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fluxgate/clock.hpp>

namespace fluxgate {

/// The six states of a circuit breaker.
///
/// The numeric values are stable and never renumbered, because exporters and
/// logs may store them.
enum class State : std::uint8_t {
    closed = 0,        ///< Calls run and are recorded; the tripper may open the circuit.
    open = 1,          ///< Calls are rejected until the retry allows a probe.
    half_open = 2,     ///< A limited number of probe calls decide between closed and open.
    metrics_only = 3,  ///< Calls run and are recorded; the circuit never trips by itself.
    disabled = 4,      ///< Calls run and nothing is recorded.
    forced_open = 5,   ///< Every call is rejected until a manual transition.
};

/// Number of values of `State`.
inline constexpr int kStateCount = 6;

/// Every state, in numeric order.
inline constexpr State kAllStates[kStateCount] = {State::closed,       State::open,     State::half_open,
                                                  State::metrics_only, State::disabled, State::forced_open};

/// Returns the state's name: `closed`, `open`, `half_open`, `metrics_only`,
/// `disabled` or `forced_open`.
[[nodiscard]] constexpr std::string_view to_string(State state) noexcept {
    switch (state) {
        case State::closed: return "closed";
        case State::open: return "open";
        case State::half_open: return "half_open";
        case State::metrics_only: return "metrics_only";
        case State::disabled: return "disabled";
        case State::forced_open: return "forced_open";
    }
    return "unknown";
}

/// Parses a name produced by `to_string(State)`; returns `std::nullopt` for
/// anything else (the match is exact and case-sensitive).
[[nodiscard]] constexpr std::optional<State> parse_state(std::string_view name) noexcept {
    for (State state : kAllStates) {
        if (to_string(state) == name) {
            return state;
        }
    }
    return std::nullopt;
}

/// Writes `to_string(state)`.
std::ostream& operator<<(std::ostream& out, State state);

/// A transition, as listeners receive it.
struct Signal {
    /// The state the breaker left.
    State old_state = State::closed;
    /// The state the breaker entered. It equals `old_state` when a manual transition targets the current state.
    State new_state = State::closed;
    WallTime timestamp{};  ///< Wall-clock time of the transition, for people and logs.

    /// Equal when both states and the timestamp match.
    friend bool operator==(const Signal&, const Signal&) = default;
};

/// Thrown when a breaker rejects a call without running it.
///
/// The message names the breaker and the state that rejected the call, for
/// example `circuit breaker 'payments' is open`.
class CallNotPermittedError : public std::runtime_error {
public:
    /// Creates the error for the breaker called `breaker_name`, rejected in `state`.
    CallNotPermittedError(std::string_view breaker_name, State state);

    /// Returns the state that rejected the call: `open`, `half_open` or `forced_open`.
    [[nodiscard]] State state() const noexcept { return state_; }

private:
    State state_;
};

}  // namespace fluxgate
