// PrometheusListener: the state and transition series of one circuit name.

#include <fluxgate/prometheus.hpp>

#include <exception>
#include <mutex>
#include <string>
#include <utility>

#include <fluxgate/detail/validate.hpp>
#include <fluxgate/errors.hpp>

#include "registry_state.hpp"

namespace fluxgate::listeners {

struct PrometheusListener::State {
    std::string name;
    std::shared_ptr<prometheus::detail::RegistryState> registry;
    std::shared_ptr<prometheus::detail::CircuitSeries> series;
};

PrometheusListener::PrometheusListener(std::string name, prometheus::Registry& registry) {
    if (name.empty()) {
        fluxgate::detail::throw_invalid("PrometheusListener", "name", "a non-empty string", "an empty string");
    }

    auto state = std::make_shared<State>();
    state->registry = registry.state_;
    {
        std::lock_guard lock(state->registry->mutex);
        auto& series = state->registry->circuits[name];
        if (!series) {
            series = std::make_shared<prometheus::detail::CircuitSeries>();
        }
        state->series = series;
    }
    state->name = std::move(name);
    state_ = std::move(state);
}

void PrometheusListener::operator()(const Signal& signal) const noexcept {
    if (!state_) {
        return;  // moved from
    }
    // Nothing here allocates: the series exist since construction.
    std::lock_guard lock(state_->registry->mutex);
    prometheus::detail::CircuitSeries& series = *state_->series;
    if (series.closed) {
        return;
    }
    series.state = signal.new_state;
    ++series.transitions[prometheus::detail::transition_index(signal.old_state, signal.new_state)];
}

void PrometheusListener::close() noexcept {
    if (!state_) {
        return;  // moved from
    }
    prometheus::detail::RegistryState& registry = *state_->registry;
    std::lock_guard lock(registry.mutex);
    state_->series->closed = true;
    const auto position = registry.circuits.find(state_->name);
    if (position != registry.circuits.end() && position->second == state_->series) {
        registry.circuits.erase(position);
    }
}

const std::string& PrometheusListener::name() const noexcept { return state_->name; }

}  // namespace fluxgate::listeners
