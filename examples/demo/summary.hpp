#pragma once

// The figures a run ends with, computed from the recorder, and their text
// and JSON forms.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/types.h>

#include <fluxgate/fluxgate.hpp>

#include "recorder.hpp"
#include "scenario.hpp"

namespace demo {

/// How long the breaker took to open after one fault began.
struct TimeToOpen {
    PhaseKind phase;
    std::optional<double> seconds;  ///< Empty if it did not open during the phase.
    bool already_open = false;      ///< It was OPEN when the phase began (then `seconds` is 0).
};

struct Summary {
    double duration_s = 0;  ///< Planned length of the run.
    double elapsed_s = 0;   ///< Actual length; shorter when interrupted.
    bool interrupted = false;
    OutcomeCounts calls;
    std::vector<OutcomeCounts> phase_calls;     ///< Calls by the phase they started in.
    std::int64_t calls_while_unhealthy = 0;     ///< Calls started during the errors, slow and down phases.
    std::int64_t rejected_while_unhealthy = 0;  ///< Of those, calls the breaker rejected.
    std::int64_t rejected_while_healthy = 0;    ///< Rejections during the healthy and recovered phases.
    std::vector<TimeToOpen> time_to_open;
    bool recovery_reached = false;                       ///< The run got to the recovered phase.
    std::optional<double> time_to_close_after_recovery;  ///< Empty if it did not close.
    int opens = 0;    ///< Transitions into OPEN.
    int reopens = 0;  ///< Transitions from HALF_OPEN back to OPEN.
    fluxgate::State final_state = fluxgate::State::closed;
    fluxgate::CallCounts breaker_calls;  ///< The breaker's own totals.
    std::vector<Transition> transitions;
    std::vector<pid_t> upstream_pids;
};

/// Computes the summary of a run that lasted `elapsed_s` seconds.
[[nodiscard]] Summary summarize(const Scenario& scenario, const Recorder& recorder, const fluxgate::Info& final_info,
                                double elapsed_s, bool interrupted, std::vector<pid_t> upstream_pids);

/// Returns the summary as lines for a person.
[[nodiscard]] std::vector<std::string> summary_lines(const Summary& summary);

/// Returns the summary as JSON.
[[nodiscard]] nlohmann::ordered_json summary_json(const Scenario& scenario, const Summary& summary,
                                                  int threads, std::uint64_t seed, int port);

}  // namespace demo
