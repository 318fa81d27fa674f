#pragma once

// What happened during a run: every call's outcome by second and by phase,
// every transition of the breaker, and periodic samples of its window.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include <fluxgate/fluxgate.hpp>

#include "scenario.hpp"

namespace demo {

/// Outcome of one call through the breaker.
enum class Outcome : std::uint8_t {
    succeeded,           ///< 2xx response.
    client_error,        ///< 4xx response: not the upstream's fault, so not counted by the tracker.
    server_error,        ///< 5xx response.
    timeout,             ///< No response within the client's timeout.
    connection_error,    ///< Connection refused or dropped.
    rejected_open,       ///< Rejected by the breaker while OPEN.
    rejected_half_open,  ///< Rejected by the breaker while HALF_OPEN (permit or probe limit).
};

inline constexpr std::size_t kOutcomeCount = 7;

/// Call counts indexed by `Outcome`.
struct OutcomeCounts {
    std::array<std::int64_t, kOutcomeCount> values{};

    [[nodiscard]] std::int64_t operator[](Outcome outcome) const noexcept {
        return values[static_cast<std::size_t>(outcome)];
    }
    [[nodiscard]] std::int64_t failed() const noexcept {
        return (*this)[Outcome::server_error] + (*this)[Outcome::timeout] + (*this)[Outcome::connection_error];
    }
    [[nodiscard]] std::int64_t rejected() const noexcept {
        return (*this)[Outcome::rejected_open] + (*this)[Outcome::rejected_half_open];
    }
    [[nodiscard]] std::int64_t total() const noexcept;

    OutcomeCounts& operator+=(const OutcomeCounts& other) noexcept;
};

/// One transition, in seconds from the start of the run.
struct Transition {
    double at_s;
    fluxgate::State from;
    fluxgate::State to;
};

/// The breaker's state and window rates at one moment.
struct Sample {
    double at_s;
    fluxgate::State state;
    std::optional<double> failure_rate;  ///< Empty while the window is empty.
    std::optional<double> slow_rate;
};

/// Collects the run's data. Counting and transitions may come from any
/// thread; samples only from the thread that runs the timeline.
class Recorder {
public:
    Recorder(const Scenario& scenario, std::chrono::steady_clock::time_point start);

    /// Returns the seconds since the start of the run.
    [[nodiscard]] double elapsed_s(std::chrono::steady_clock::time_point at) const noexcept;
    [[nodiscard]] double elapsed_s() const noexcept { return elapsed_s(std::chrono::steady_clock::now()); }

    /// Counts a call that started at `started_s` and finished at
    /// `finished_s`: in its phase by its start, in its second by its end, so
    /// that a second's row is complete once that second is over.
    void count(Outcome outcome, double started_s, double finished_s) noexcept;

    /// Records a transition; use as a breaker listener.
    void on_transition(const fluxgate::Signal& signal);

    /// Adds a sample taken from `info` now.
    void sample(const fluxgate::Info& info, fluxgate::Duration slow_threshold);

    /// Returns the counts of calls that finished in second `second`.
    [[nodiscard]] OutcomeCounts second(std::size_t second) const noexcept;
    /// Returns the counts of calls that started in phase `index`.
    [[nodiscard]] OutcomeCounts phase(std::size_t index) const noexcept;
    [[nodiscard]] std::size_t seconds() const noexcept { return per_second_.size(); }

    [[nodiscard]] std::vector<Transition> transitions() const;
    [[nodiscard]] const std::vector<Sample>& samples() const noexcept { return samples_; }

private:
    using Counters = std::array<std::atomic<std::int64_t>, kOutcomeCount>;

    static OutcomeCounts load(const Counters& counters) noexcept;

    const Scenario& scenario_;
    std::chrono::steady_clock::time_point start_;
    std::vector<Counters> per_second_;
    std::vector<Counters> per_phase_;
    mutable std::mutex transitions_mutex_;
    std::vector<Transition> transitions_;
    std::vector<Sample> samples_;
};

}  // namespace demo
