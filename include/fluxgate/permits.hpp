#pragma once

/// @file
/// Permits: which calls a HALF_OPEN circuit admits as probes.

#include <cstdint>
#include <memory>
#include <optional>

#include <fluxgate/clock.hpp>
#include <fluxgate/detail/random.hpp>

namespace fluxgate::permits {

/// Decides whether a call may probe while the circuit is HALF_OPEN.
/// `changed_at` is the monotonic time the circuit became HALF_OPEN.
///
/// Thread safety: `operator()` is called concurrently from many threads,
/// outside the breaker's lock, and must be safe for concurrent `const` calls.
class Permit {
public:
    virtual ~Permit() = default;

    /// Returns true if the call arriving at `now` may probe.
    [[nodiscard]] virtual bool operator()(TimePoint changed_at, TimePoint now) const = 0;

protected:
    Permit() = default;
    /// Copying is for derived classes only, so a permit is never sliced through its interface.
    Permit(const Permit&) = default;
    /// Copying is for derived classes only, so a permit is never sliced through its interface.
    Permit& operator=(const Permit&) = default;
};

/// Admits every call (up to the breaker's `max_half_open_calls`).
class All final : public Permit {
public:
    [[nodiscard]] bool operator()(TimePoint, TimePoint) const noexcept override { return true; }
};

/// Admits each call with probability `ratio`.
///
/// Copies share one random source, which is safe to use from many threads.
class Random final : public Permit {
public:
    /// Throws `std::invalid_argument` unless `0 <= ratio <= 1`.
    /// Without a `seed`, one is drawn from `std::random_device`.
    explicit Random(double ratio, std::optional<std::uint64_t> seed = std::nullopt);

    [[nodiscard]] bool operator()(TimePoint, TimePoint) const noexcept override {
        return random_->next_unit() < ratio_;
    }
    /// Returns the admission probability.
    [[nodiscard]] double ratio() const noexcept { return ratio_; }

private:
    double ratio_;
    std::shared_ptr<detail::RandomSource> random_;
};

/// Admits each call with a probability that grows linearly from `initial`
/// to `final` over `duration` after the circuit became HALF_OPEN, then stays
/// at `final`.
///
/// Copies share one random source, which is safe to use from many threads.
class RampUp final : public Permit {
public:
    /// Throws `std::invalid_argument` unless `0 < initial <= final <= 1` and
    /// `duration > 0`. Without a `seed`, one is drawn from `std::random_device`.
    RampUp(double initial, double final, Duration duration, std::optional<std::uint64_t> seed = std::nullopt);

    [[nodiscard]] bool operator()(TimePoint changed_at, TimePoint now) const noexcept override {
        return random_->next_unit() < probability(changed_at, now);
    }

    /// Returns the admission probability at `now`; `initial` if `now` is before `changed_at`.
    [[nodiscard]] double probability(TimePoint changed_at, TimePoint now) const noexcept;

    /// Returns the admission probability when the circuit becomes HALF_OPEN.
    [[nodiscard]] double initial() const noexcept { return initial_; }
    /// Returns the admission probability once `duration()` has passed.
    [[nodiscard]] double final_ratio() const noexcept { return final_; }
    /// Returns how long the probability takes to grow from `initial()` to `final_ratio()`.
    [[nodiscard]] Duration duration() const noexcept { return duration_; }

private:
    double initial_;
    double final_;
    Duration duration_;
    std::shared_ptr<detail::RandomSource> random_;
};

}  // namespace fluxgate::permits
