#pragma once

/// @file
/// Retries: when an OPEN circuit lets calls probe again.

#include <chrono>
#include <cstdint>
#include <optional>

#include <fluxgate/clock.hpp>

namespace fluxgate::retries {

/// Decides whether an OPEN circuit may move to HALF_OPEN.
///
/// `changed_at` is the monotonic time the circuit opened and `reopens` how
/// many times it has reopened from HALF_OPEN since it was last CLOSED.
///
/// Thread safety: `operator()` is called concurrently from many threads,
/// outside the breaker's lock, and must be safe for concurrent `const` calls.
class Retry {
public:
    virtual ~Retry() = default;

    /// Returns true if a call arriving at `now` may probe.
    [[nodiscard]] virtual bool operator()(TimePoint changed_at, int reopens, TimePoint now) const = 0;

protected:
    Retry() = default;
    /// Copying is for derived classes only, so a retry is never sliced through its interface.
    Retry(const Retry&) = default;
    /// Copying is for derived classes only, so a retry is never sliced through its interface.
    Retry& operator=(const Retry&) = default;
};

/// Probes on the first call after opening.
class Always final : public Retry {
public:
    [[nodiscard]] bool operator()(TimePoint, int, TimePoint) const noexcept override { return true; }
};

/// Never probes: the circuit stays OPEN until a manual transition.
class Never final : public Retry {
public:
    [[nodiscard]] bool operator()(TimePoint, int, TimePoint) const noexcept override { return false; }
};

/// Probes once `wait` has passed since the circuit opened.
///
/// With `jitter = j`, each OPEN period waits `wait * u`, with `u` uniform in
/// `[1 - j, 1 + j]`. The factor is drawn once per OPEN period, as a hash of
/// the seed, `changed_at` and `reopens`, so every call during one period
/// gets the same deadline and the first probe is spread evenly over the
/// interval instead of bunching at its start.
class Cooldown final : public Retry {
public:
    /// Throws `std::invalid_argument` unless `wait > 0` and `0 <= jitter < 1`.
    /// Without a `seed`, one is drawn from `std::random_device`.
    explicit Cooldown(Duration wait, double jitter = 0.0, std::optional<std::uint64_t> seed = std::nullopt);

    [[nodiscard]] bool operator()(TimePoint changed_at, int reopens, TimePoint now) const noexcept override {
        return now - changed_at >= wait_for(changed_at, reopens);
    }

    /// Returns how long the OPEN period that began at `changed_at` lasts, jitter included.
    [[nodiscard]] Duration wait_for(TimePoint changed_at, int reopens) const noexcept;

    /// Returns the wait before jitter.
    [[nodiscard]] Duration wait() const noexcept { return wait_; }
    /// Returns the jitter ratio, in [0, 1).
    [[nodiscard]] double jitter() const noexcept { return jitter_; }

private:
    Duration wait_;
    double jitter_;
    std::uint64_t seed_;
};

/// Probes after `min(initial * multiplier^reopens, max)`, so each reopen
/// waits longer. Jitter works as in `Cooldown`, applied after the cap, so a
/// jittered wait can reach `max * (1 + jitter)`. No `reopens` value, however
/// large, overflows.
class Backoff final : public Retry {
public:
    /// Throws `std::invalid_argument` unless `initial > 0`, `multiplier > 1`
    /// and finite, `max >= initial`, and `0 <= jitter < 1`.
    explicit Backoff(Duration initial, double multiplier = 2.0, Duration max = std::chrono::seconds(300),
                     double jitter = 0.0, std::optional<std::uint64_t> seed = std::nullopt);

    [[nodiscard]] bool operator()(TimePoint changed_at, int reopens, TimePoint now) const noexcept override {
        return now - changed_at >= wait_for(changed_at, reopens);
    }

    /// Returns the wait before jitter: `min(initial * multiplier^reopens, max)`;
    /// a negative `reopens` counts as 0.
    [[nodiscard]] Duration base_wait(int reopens) const noexcept;

    /// Returns how long the OPEN period that began at `changed_at` lasts, jitter included.
    [[nodiscard]] Duration wait_for(TimePoint changed_at, int reopens) const noexcept;

    /// Returns the wait after the first opening, before jitter.
    [[nodiscard]] Duration initial() const noexcept { return initial_; }
    /// Returns the factor applied to the wait on each reopen.
    [[nodiscard]] double multiplier() const noexcept { return multiplier_; }
    /// Returns the cap on the wait before jitter.
    [[nodiscard]] Duration max() const noexcept { return max_; }
    /// Returns the jitter ratio, in [0, 1).
    [[nodiscard]] double jitter() const noexcept { return jitter_; }

private:
    Duration initial_;
    double multiplier_;
    Duration max_;
    double jitter_;
    std::uint64_t seed_;
};

}  // namespace fluxgate::retries
