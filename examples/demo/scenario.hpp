#pragma once

// The scripted run: the phases the upstream goes through and the settings of
// the upstream, the client and the breaker. Every duration of the breaker
// scales with the length of the run, so a shortened run shows the same transitions.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fluxgate/fluxgate.hpp>

namespace demo {

/// Behaviour of the upstream during one phase.
enum class PhaseKind : std::uint8_t {
    healthy,    ///< Responds to every request at once.
    errors,     ///< Responds to a share of requests with 503.
    slow,       ///< Delays every response, some beyond the client's timeout.
    down,       ///< The process is killed: connections are refused.
    recovered,  ///< Restarted and healthy again.
};

[[nodiscard]] std::string_view to_string(PhaseKind kind) noexcept;
[[nodiscard]] std::optional<PhaseKind> parse_phase(std::string_view name) noexcept;

/// Returns true for the phases in which the upstream misbehaves.
[[nodiscard]] constexpr bool is_fault(PhaseKind kind) noexcept {
    return kind == PhaseKind::errors || kind == PhaseKind::slow || kind == PhaseKind::down;
}

/// One phase of the timeline, in seconds from the start of the run.
struct Phase {
    PhaseKind kind;
    double start_s;
    double end_s;
};

/// Response settings of the upstream, shared by the parent and the upstream process.
struct UpstreamBehaviour {
    double error_share = 0.6;                        ///< Share of 503 responses in the errors phase.
    std::chrono::milliseconds slow_min{400};         ///< Shortest delay in the slow phase.
    std::chrono::milliseconds slow_max{900};         ///< Longest delay in the slow phase.
    std::int64_t first_missing_id = 1000;            ///< Item ids from here on get 404.
};

/// Everything a run is made of.
struct Scenario {
    double duration_s = 0;
    std::vector<Phase> phases;
    UpstreamBehaviour upstream;

    // Client: each worker sends one request per interval.
    std::chrono::milliseconds request_interval{100};
    std::chrono::milliseconds request_timeout{800};
    double missing_share = 0.05;  ///< Share of requests for items that do not exist (404).

    // Breaker.
    std::chrono::seconds window{4};
    std::int64_t failure_streak = 8;
    std::int64_t min_requests = 12;
    double failure_rate = 0.5;
    double slow_rate = 0.5;
    std::chrono::milliseconds slow_threshold{300};
    fluxgate::Duration backoff_initial = std::chrono::seconds(3);
    double backoff_multiplier = 2.0;
    fluxgate::Duration backoff_max = std::chrono::seconds(6);
    double backoff_jitter = 0.2;
    double ramp_initial = 0.2;
    fluxgate::Duration ramp_duration = std::chrono::seconds(4);
    std::int64_t max_half_open_calls = 3;
    std::int64_t probe_quota = 12;  ///< Probes that must succeed before HALF_OPEN closes.

    /// Returns the index of the phase that contains `t_s`; the last phase for
    /// any time past the end.
    [[nodiscard]] std::size_t phase_index_at(double t_s) const noexcept;

    /// Returns the phase that contains `t_s`.
    [[nodiscard]] const Phase& phase_at(double t_s) const noexcept { return phases[phase_index_at(t_s)]; }

    /// Returns one line naming the phases and their times.
    [[nodiscard]] std::string describe_timeline() const;

    /// Returns one line naming the breaker's components and settings.
    [[nodiscard]] std::string describe_breaker() const;
};

/// Length of the default run, for which the timeline below was tuned.
inline constexpr double kDefaultDurationS = 50.0;
/// Minimum run length that still leaves room for every phase and backoff.
inline constexpr double kMinDurationS = 20.0;
/// Maximum run length.
inline constexpr double kMaxDurationS = 600.0;

/// Builds the scenario of a run lasting `duration_s` seconds: the default
/// timeline and breaker durations scaled by `duration_s / kDefaultDurationS`.
[[nodiscard]] Scenario make_scenario(double duration_s);

}  // namespace demo
