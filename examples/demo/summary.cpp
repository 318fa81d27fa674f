#include "summary.hpp"

#include <cmath>
#include <cstdio>
#include <utility>

namespace demo {

namespace {

using fluxgate::State;

// Returns the state the breaker was in at `at_s`; it starts CLOSED.
State state_at(const std::vector<Transition>& transitions, double at_s) {
    State state = State::closed;
    for (const Transition& transition : transitions) {
        if (transition.at_s > at_s) {
            break;
        }
        state = transition.to;
    }
    return state;
}

// Returns the seconds from `from_s` to the first transition into `target` in
// [from_s, until_s), or nothing if there is none.
std::optional<double> time_until(const std::vector<Transition>& transitions, State target, double from_s,
                                 double until_s) {
    for (const Transition& transition : transitions) {
        if (transition.to == target && transition.at_s >= from_s && transition.at_s < until_s) {
            return transition.at_s - from_s;
        }
    }
    return std::nullopt;
}

std::string format(const char* pattern, auto... values) {
    char text[256];
    std::snprintf(text, sizeof text, pattern, values...);
    return text;
}

std::string format_time(const std::optional<double>& seconds) {
    return seconds ? format("%.1f s", *seconds) : std::string("never");
}

nlohmann::ordered_json counts_json(const OutcomeCounts& calls) {
    return {{"succeeded", calls[Outcome::succeeded]},
            {"failed", calls.failed()},
            {"failed_5xx", calls[Outcome::server_error]},
            {"failed_timeout", calls[Outcome::timeout]},
            {"failed_connection", calls[Outcome::connection_error]},
            {"client_errors_not_counted", calls[Outcome::client_error]},
            {"rejected", calls.rejected()},
            {"rejected_open", calls[Outcome::rejected_open]},
            {"rejected_half_open", calls[Outcome::rejected_half_open]}};
}

}  // namespace

Summary summarize(const Scenario& scenario, const Recorder& recorder, const fluxgate::Info& final_info,
                  double elapsed_s, bool interrupted, std::vector<pid_t> upstream_pids) {
    Summary summary;
    summary.duration_s = scenario.duration_s;
    summary.elapsed_s = elapsed_s;
    summary.interrupted = interrupted;
    summary.transitions = recorder.transitions();
    summary.final_state = final_info.state;
    summary.breaker_calls = final_info.calls;
    summary.upstream_pids = std::move(upstream_pids);

    for (std::size_t i = 0; i < scenario.phases.size(); ++i) {
        const Phase& phase = scenario.phases[i];
        const OutcomeCounts counts = recorder.phase(i);
        summary.calls += counts;
        summary.phase_calls.push_back(counts);
        if (is_fault(phase.kind)) {
            summary.calls_while_unhealthy += counts.total();
            summary.rejected_while_unhealthy += counts.rejected();
        } else {
            summary.rejected_while_healthy += counts.rejected();
        }
        if (phase.start_s >= elapsed_s) {
            continue;  // an interrupted run never reached this phase
        }
        if (is_fault(phase.kind)) {
            TimeToOpen entry{phase.kind, std::nullopt, false};
            if (state_at(summary.transitions, phase.start_s) == State::open) {
                entry.already_open = true;
                entry.seconds = 0.0;
            } else {
                entry.seconds = time_until(summary.transitions, State::open, phase.start_s, phase.end_s);
            }
            summary.time_to_open.push_back(entry);
        } else if (phase.kind == PhaseKind::recovered) {
            summary.recovery_reached = true;
            summary.time_to_close_after_recovery =
                state_at(summary.transitions, phase.start_s) == State::closed
                    ? std::optional<double>(0.0)
                    : time_until(summary.transitions, State::closed, phase.start_s, elapsed_s + 1);
        }
    }

    for (const Transition& transition : summary.transitions) {
        if (transition.to == State::open) {
            ++summary.opens;
            if (transition.from == State::half_open) {
                ++summary.reopens;
            }
        }
    }
    return summary;
}

std::vector<std::string> summary_lines(const Summary& summary) {
    const OutcomeCounts& calls = summary.calls;
    std::vector<std::string> lines;
    lines.push_back(format("summary after %.1f s%s", summary.elapsed_s, summary.interrupted ? " (interrupted)" : ""));
    lines.push_back(format("  calls: %lld succeeded, %lld failed (5xx: %lld, timed out: %lld, connection refused or lost: %lld), "
                           "%lld 4xx not counted as failures",
                           static_cast<long long>(calls[Outcome::succeeded]), static_cast<long long>(calls.failed()),
                           static_cast<long long>(calls[Outcome::server_error]),
                           static_cast<long long>(calls[Outcome::timeout]),
                           static_cast<long long>(calls[Outcome::connection_error]),
                           static_cast<long long>(calls[Outcome::client_error])));
    lines.push_back(format("  rejected by the breaker: %lld (%lld while open, %lld while half_open)",
                           static_cast<long long>(calls.rejected()),
                           static_cast<long long>(calls[Outcome::rejected_open]),
                           static_cast<long long>(calls[Outcome::rejected_half_open])));
    const double share = summary.calls_while_unhealthy > 0
                             ? 100.0 * static_cast<double>(summary.rejected_while_unhealthy) /
                                   static_cast<double>(summary.calls_while_unhealthy)
                             : 0.0;
    lines.push_back(format("  while the upstream was unhealthy: %lld of %lld calls rejected at once (%.0f%%) "
                           "instead of waiting on it; %lld rejected while it was healthy",
                           static_cast<long long>(summary.rejected_while_unhealthy),
                           static_cast<long long>(summary.calls_while_unhealthy), share,
                           static_cast<long long>(summary.rejected_while_healthy)));

    // Built with append: GCC 12 reports a false -Wrestrict for `" " + std::string(...)` at -O3.
    std::string opens = "  time to open after each fault:";
    for (const TimeToOpen& entry : summary.time_to_open) {
        opens.append(" ").append(to_string(entry.phase)).append(" ");
        opens.append(entry.already_open ? std::string("already open") : format_time(entry.seconds)).append(",");
    }
    if (opens.back() == ',') {
        opens.pop_back();
    }
    lines.push_back(opens);
    lines.push_back("  time to close after recovery: " +
                    (summary.recovery_reached ? format_time(summary.time_to_close_after_recovery)
                                              : std::string("the run ended before the recovery")));
    lines.push_back(format("  opens: %d, reopens (half_open -> open): %d", summary.opens, summary.reopens));

    std::string path = "  states: closed";
    for (const Transition& transition : summary.transitions) {
        path += " -> " + std::string(fluxgate::to_string(transition.to));
    }
    lines.push_back(path);
    lines.push_back("  final state: " + std::string(fluxgate::to_string(summary.final_state)));
    return lines;
}

nlohmann::ordered_json summary_json(const Scenario& scenario, const Summary& summary, int threads,
                                    std::uint64_t seed, int port) {
    using nlohmann::ordered_json;
    // Milliseconds are precise enough for people and for checks.
    const auto seconds = [](double value) { return std::round(value * 1000) / 1000; };
    const auto optional_seconds = [&seconds](const std::optional<double>& value) {
        return value ? ordered_json(seconds(*value)) : ordered_json(nullptr);
    };
    ordered_json json;
    json["duration_s"] = seconds(summary.duration_s);
    json["elapsed_s"] = seconds(summary.elapsed_s);
    json["interrupted"] = summary.interrupted;
    json["threads"] = threads;
    json["seed"] = seed;
    json["port"] = port;
    json["breaker"] = scenario.describe_breaker();

    ordered_json phases = ordered_json::array();
    for (std::size_t i = 0; i < scenario.phases.size(); ++i) {
        const Phase& phase = scenario.phases[i];
        phases.push_back({{"name", to_string(phase.kind)},
                          {"start_s", seconds(phase.start_s)},
                          {"end_s", seconds(phase.end_s)},
                          {"calls", counts_json(summary.phase_calls[i])}});
    }
    json["phases"] = phases;

    json["calls"] = counts_json(summary.calls);
    json["calls_while_unhealthy"] = summary.calls_while_unhealthy;
    json["rejected_while_unhealthy"] = summary.rejected_while_unhealthy;
    json["rejected_while_healthy"] = summary.rejected_while_healthy;

    ordered_json opens = ordered_json::array();
    for (const TimeToOpen& entry : summary.time_to_open) {
        opens.push_back({{"phase", to_string(entry.phase)},
                         {"seconds", optional_seconds(entry.seconds)},
                         {"already_open", entry.already_open}});
    }
    json["time_to_open"] = opens;
    json["time_to_close_after_recovery_s"] = optional_seconds(summary.time_to_close_after_recovery);
    json["opens"] = summary.opens;
    json["reopens"] = summary.reopens;
    json["final_state"] = fluxgate::to_string(summary.final_state);

    ordered_json transitions = ordered_json::array();
    for (const Transition& transition : summary.transitions) {
        transitions.push_back({{"at_s", seconds(transition.at_s)},
                               {"from", fluxgate::to_string(transition.from)},
                               {"to", fluxgate::to_string(transition.to)}});
    }
    json["transitions"] = transitions;

    const fluxgate::CallCounts& counted = summary.breaker_calls;
    json["breaker_calls"] = {{"successful", counted.successful}, {"failed", counted.failed},
                             {"rejected", counted.rejected},     {"ignored", counted.ignored},
                             {"stale", counted.stale}};
    json["upstream_pids"] = summary.upstream_pids;
    return json;
}

}  // namespace demo
