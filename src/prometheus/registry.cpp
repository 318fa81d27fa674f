// The registry: breaker registration and rendering of every family.

#include <fluxgate/prometheus.hpp>

#include <exception>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fluxgate/detail/validate.hpp>
#include <fluxgate/errors.hpp>
#include <fluxgate/info.hpp>

#include "exposition.hpp"
#include "registry_state.hpp"

namespace fluxgate::prometheus {

namespace detail {

namespace {

// Call metrics of one registered breaker, read under the registry's lock
// and formatted after it is released.
struct BreakerSnapshot {
    std::string name;
    Info info;
    Thresholds thresholds;
};

struct CircuitSnapshot {
    std::string name;
    CircuitSeries series;
};

void append_state_families(std::string& out, const std::vector<CircuitSnapshot>& circuits) {
    if (circuits.empty()) {
        return;
    }

    append_family_header(out, "circuit_breaker_state", MetricType::gauge,
                         "State of the circuit breaker: 1 for the current state, 0 for the other five.");
    for (const CircuitSnapshot& circuit : circuits) {
        for (State state : kAllStates) {
            append_sample(out, "circuit_breaker_state",
                          {{"circuit_name", circuit.name}, {"state", to_string(state)}},
                          circuit.series.state == state ? "1" : "0");
        }
    }

    append_family_header(out, "circuit_breaker_state_transition_total", MetricType::counter,
                         "Transitions of the circuit breaker from old_state to new_state.");
    for (const CircuitSnapshot& circuit : circuits) {
        for (State old_state : kAllStates) {
            for (State new_state : kAllStates) {
                const std::int64_t count = circuit.series.transitions[transition_index(old_state, new_state)];
                if (count == 0) {
                    continue;
                }
                append_sample(out, "circuit_breaker_state_transition_total",
                              {{"circuit_name", circuit.name},
                               {"old_state", to_string(old_state)},
                               {"new_state", to_string(new_state)}},
                              format_value(count));
            }
        }
    }
}

void append_call_families(std::string& out, const std::vector<BreakerSnapshot>& breakers) {
    if (breakers.empty()) {
        return;
    }

    append_family_header(out, "circuit_breaker_calls_total", MetricType::counter,
                         "Calls through the circuit breaker since it was built, by outcome.");
    for (const BreakerSnapshot& breaker : breakers) {
        const CallCounts& calls = breaker.info.calls;
        const std::pair<std::string_view, std::int64_t> outcomes[] = {
            {"successful", calls.successful},
            {"failed", calls.failed},
            {"rejected", calls.rejected},
            {"ignored", calls.ignored},
        };
        for (const auto& [outcome, count] : outcomes) {
            append_sample(out, "circuit_breaker_calls_total", {{"circuit_name", breaker.name}, {"outcome", outcome}},
                          format_value(count));
        }
    }

    // The two ratios have no value while the window is empty; their
    // samples are left out then, so aggregations never see a NaN.
    append_family_header(out, "circuit_breaker_failure_ratio", MetricType::gauge,
                         "Failed calls divided by all calls in the window of the circuit breaker.");
    for (const BreakerSnapshot& breaker : breakers) {
        if (const auto ratio = breaker.info.metrics.failure_rate()) {
            append_sample(out, "circuit_breaker_failure_ratio", {{"circuit_name", breaker.name}}, format_value(*ratio));
        }
    }

    append_family_header(out, "circuit_breaker_slow_call_ratio", MetricType::gauge,
                         "Calls that took threshold_seconds or longer divided by all calls in the window.");
    for (const BreakerSnapshot& breaker : breakers) {
        for (Duration threshold : breaker.thresholds) {
            if (const auto ratio = breaker.info.metrics.slow_rate(threshold)) {
                const std::string seconds = format_seconds(threshold);
                append_sample(out, "circuit_breaker_slow_call_ratio",
                              {{"circuit_name", breaker.name}, {"threshold_seconds", seconds}}, format_value(*ratio));
            }
        }
    }

    append_family_header(out, "circuit_breaker_window_calls", MetricType::gauge,
                         "Calls in the window of the circuit breaker.");
    for (const BreakerSnapshot& breaker : breakers) {
        append_sample(out, "circuit_breaker_window_calls", {{"circuit_name", breaker.name}},
                      format_value(breaker.info.metrics.total_count));
    }
}

}  // namespace

std::string RegistryState::render() {
    std::vector<CircuitSnapshot> circuit_snapshots;
    std::vector<BreakerSnapshot> breaker_snapshots;
    {
        // Holding the lock across `info()` keeps a registration from being
        // removed, and its breaker destroyed, while it is read.
        std::lock_guard lock(mutex);
        circuit_snapshots.reserve(circuits.size());
        for (const auto& [name, series] : circuits) {
            circuit_snapshots.push_back({name, *series});
        }
        breaker_snapshots.reserve(breakers.size());
        for (auto& [name, source] : breakers) {
            try {
                Info info = source.breaker->info();
                for (Duration threshold : info.metrics.thresholds()) {
                    source.thresholds.insert(threshold);
                }
                breaker_snapshots.push_back({name, std::move(info), source.thresholds});
            } catch (const std::exception& error) {
                report_error("fluxgate prometheus: reading circuit breaker '" + name +
                             "' failed, its call metrics are left out of this scrape: " + error.what());
            }
        }
    }

    std::string out;
    append_state_families(out, circuit_snapshots);
    append_call_families(out, breaker_snapshots);
    return out;
}

}  // namespace detail

Registry::Registry() : state_(std::make_shared<detail::RegistryState>()) {}

Registry::~Registry() = default;

BreakerRegistration Registry::add_breaker(const CircuitBreaker& breaker) {
    return add_breaker(breaker.name(), breaker);
}

BreakerRegistration Registry::add_breaker(std::string circuit_name, const CircuitBreaker& breaker) {
    if (circuit_name.empty()) {
        fluxgate::detail::throw_invalid("Registry", "circuit_name", "a non-empty string", "an empty string");
    }

    std::lock_guard lock(state_->mutex);
    if (state_->breakers.contains(circuit_name)) {
        fluxgate::detail::throw_invalid("Registry", "circuit_name", "unique in the registry",
                                        "'" + circuit_name + "' a second time");
    }
    const std::uint64_t id = state_->next_breaker_id++;
    state_->breakers.emplace(circuit_name, detail::BreakerSource{id, &breaker, breaker.slow_thresholds()});
    return BreakerRegistration(state_, std::move(circuit_name), id);
}

std::string Registry::render() const { return state_->render(); }

Registry& default_registry() {
    static Registry registry;
    return registry;
}

BreakerRegistration::BreakerRegistration(std::shared_ptr<detail::RegistryState> registry, std::string circuit_name,
                                         std::uint64_t id) noexcept
    : registry_(std::move(registry)), circuit_name_(std::move(circuit_name)), id_(id) {}

BreakerRegistration::BreakerRegistration(BreakerRegistration&& other) noexcept
    : registry_(std::move(other.registry_)),
      circuit_name_(std::move(other.circuit_name_)),
      id_(std::exchange(other.id_, 0)) {}

BreakerRegistration& BreakerRegistration::operator=(BreakerRegistration&& other) noexcept {
    if (this != &other) {
        reset();
        registry_ = std::move(other.registry_);
        circuit_name_ = std::move(other.circuit_name_);
        id_ = std::exchange(other.id_, 0);
    }
    return *this;
}

void BreakerRegistration::reset() noexcept {
    if (id_ == 0) {
        return;
    }
    {
        std::lock_guard lock(registry_->mutex);
        const auto position = registry_->breakers.find(circuit_name_);
        if (position != registry_->breakers.end() && position->second.id == id_) {
            registry_->breakers.erase(position);
        }
    }
    id_ = 0;
    registry_.reset();
}

}  // namespace fluxgate::prometheus
