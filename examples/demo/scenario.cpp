#include "scenario.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace demo {

std::string_view to_string(PhaseKind kind) noexcept {
    switch (kind) {
        case PhaseKind::healthy: return "healthy";
        case PhaseKind::errors: return "errors";
        case PhaseKind::slow: return "slow";
        case PhaseKind::down: return "down";
        case PhaseKind::recovered: return "recovered";
    }
    return "unknown";
}

std::optional<PhaseKind> parse_phase(std::string_view name) noexcept {
    for (PhaseKind kind :
         {PhaseKind::healthy, PhaseKind::errors, PhaseKind::slow, PhaseKind::down, PhaseKind::recovered}) {
        if (to_string(kind) == name) {
            return kind;
        }
    }
    return std::nullopt;
}

std::size_t Scenario::phase_index_at(double t_s) const noexcept {
    for (std::size_t i = 0; i < phases.size(); ++i) {
        if (t_s < phases[i].end_s) {
            return i;
        }
    }
    return phases.size() - 1;
}

namespace {

std::string format_seconds(double seconds) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g s", seconds);
    return text;
}

std::string format_seconds(fluxgate::Duration duration) {
    return format_seconds(std::chrono::duration<double>(duration).count());
}

}  // namespace

std::string Scenario::describe_timeline() const {
    std::string text;
    for (const Phase& phase : phases) {
        char part[96];
        std::snprintf(part, sizeof part, "%s%.3g-%.3g s %s", text.empty() ? "" : " | ", phase.start_s, phase.end_s,
                      std::string(to_string(phase.kind)).c_str());
        text += part;
        if (phase.kind == PhaseKind::errors) {
            std::snprintf(part, sizeof part, " (%.0f%% 503)", upstream.error_share * 100);
            text += part;
        } else if (phase.kind == PhaseKind::slow) {
            std::snprintf(part, sizeof part, " (%lld-%lld ms)", static_cast<long long>(upstream.slow_min.count()),
                          static_cast<long long>(upstream.slow_max.count()));
            text += part;
        } else if (phase.kind == PhaseKind::down) {
            text += " (killed)";
        }
    }
    return text;
}

std::string Scenario::describe_breaker() const {
    char text[512];
    std::snprintf(text, sizeof text,
                  "TimeWindow(%lld s), FailureStreak(%lld) | (MinRequests(%lld) & (FailureRate(%.2g) | "
                  "SlowRate(%.2g, %lld ms))) | ProbeQuota(%lld), Backoff(%s, x%.2g, max %s, jitter %.2g), RampUp(%.2g -> 1 over %s), "
                  "%lld probes at once, timeout %lld ms",
                  static_cast<long long>(window.count()), static_cast<long long>(failure_streak),
                  static_cast<long long>(min_requests), failure_rate, slow_rate,
                  static_cast<long long>(slow_threshold.count()), static_cast<long long>(probe_quota),
                  format_seconds(backoff_initial).c_str(),
                  backoff_multiplier, format_seconds(backoff_max).c_str(), backoff_jitter, ramp_initial,
                  format_seconds(ramp_duration).c_str(), static_cast<long long>(max_half_open_calls),
                  static_cast<long long>(request_timeout.count()));
    return text;
}

Scenario make_scenario(double duration_s) {
    const double scale = duration_s / kDefaultDurationS;
    const auto scaled = [scale](double seconds) {
        return std::chrono::duration_cast<fluxgate::Duration>(std::chrono::duration<double>(seconds * scale));
    };

    Scenario scenario;
    scenario.duration_s = duration_s;

    // The default run, in seconds: 0-6 healthy, 6-14 errors, 14-24 slow,
    // 24-36 down, 36-50 recovered. The down phase is longer than the longest
    // jittered backoff (6 s * 1.2) plus the second or so that FailureStreak
    // needs in HALF_OPEN. So at least one probe fails there and the circuit
    // reopens. The recovered phase is longer again, so the circuit closes
    // before the end whatever state the down phase left it in.
    const struct {
        PhaseKind kind;
        double end_s;
    } plan[] = {{PhaseKind::healthy, 6},
                {PhaseKind::errors, 14},
                {PhaseKind::slow, 24},
                {PhaseKind::down, 36},
                {PhaseKind::recovered, kDefaultDurationS}};
    double start_s = 0;
    for (const auto& step : plan) {
        const double end_s = step.end_s * scale;
        scenario.phases.push_back(Phase{step.kind, start_s, end_s});
        start_s = end_s;
    }

    // TimeWindow counts whole seconds, so its size is rounded, and kept at
    // two seconds or more so that one bucket boundary does not empty it.
    scenario.window = std::chrono::seconds(std::max<long long>(2, std::llround(4 * scale)));
    scenario.backoff_initial = scaled(3);
    scenario.backoff_max = scaled(6);
    scenario.ramp_duration = scaled(4);
    return scenario;
}

}  // namespace demo
