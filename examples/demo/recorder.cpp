#include "recorder.hpp"

#include <algorithm>
#include <cmath>

namespace demo {

std::int64_t OutcomeCounts::total() const noexcept {
    std::int64_t sum = 0;
    for (std::int64_t value : values) {
        sum += value;
    }
    return sum;
}

OutcomeCounts& OutcomeCounts::operator+=(const OutcomeCounts& other) noexcept {
    for (std::size_t i = 0; i < kOutcomeCount; ++i) {
        values[i] += other.values[i];
    }
    return *this;
}

Recorder::Recorder(const Scenario& scenario, std::chrono::steady_clock::time_point start)
    : scenario_(scenario),
      start_(start),
      // One more second for calls that start in the last fraction of the run.
      per_second_(static_cast<std::size_t>(std::ceil(scenario.duration_s)) + 1),
      per_phase_(scenario.phases.size()) {}

double Recorder::elapsed_s(std::chrono::steady_clock::time_point at) const noexcept {
    return std::chrono::duration<double>(at - start_).count();
}

void Recorder::count(Outcome outcome, double started_s, double finished_s) noexcept {
    const auto index = static_cast<std::size_t>(outcome);
    const auto second = std::min(static_cast<std::size_t>(std::max(0.0, finished_s)), per_second_.size() - 1);
    per_second_[second][index].fetch_add(1, std::memory_order_relaxed);
    per_phase_[scenario_.phase_index_at(started_s)][index].fetch_add(1, std::memory_order_relaxed);
}

void Recorder::on_transition(const fluxgate::Signal& signal) {
    const double at_s = elapsed_s();
    std::lock_guard lock(transitions_mutex_);
    transitions_.push_back(Transition{at_s, signal.old_state, signal.new_state});
}

void Recorder::sample(const fluxgate::Info& info, fluxgate::Duration slow_threshold) {
    samples_.push_back(Sample{elapsed_s(), info.state, info.metrics.failure_rate(),
                              info.metrics.slow_rate(slow_threshold)});
}

OutcomeCounts Recorder::load(const Counters& counters) noexcept {
    OutcomeCounts counts;
    for (std::size_t i = 0; i < kOutcomeCount; ++i) {
        counts.values[i] = counters[i].load(std::memory_order_relaxed);
    }
    return counts;
}

OutcomeCounts Recorder::second(std::size_t second) const noexcept {
    return second < per_second_.size() ? load(per_second_[second]) : OutcomeCounts{};
}

OutcomeCounts Recorder::phase(std::size_t index) const noexcept { return load(per_phase_[index]); }

std::vector<Transition> Recorder::transitions() const {
    std::lock_guard lock(transitions_mutex_);
    return transitions_;
}

}  // namespace demo
