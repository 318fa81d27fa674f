// Constructors and rules of the built-in trackers, trippers, retries and permits.

#include <fluxgate/permits.hpp>
#include <fluxgate/retries.hpp>
#include <fluxgate/trackers.hpp>
#include <fluxgate/trippers.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <fluxgate/detail/random.hpp>
#include <fluxgate/detail/validate.hpp>

namespace fluxgate {

namespace detail {

std::uint64_t seed_or_random(std::optional<std::uint64_t> seed) {
    if (seed) {
        return *seed;
    }
    std::random_device device;
    return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

}  // namespace detail

namespace trackers {

Custom::Custom(Predicate predicate) : predicate_(std::move(predicate)) {
    if (!predicate_) {
        fluxgate::detail::throw_invalid("Custom", "predicate", "a callable", "an empty function");
    }
}

}  // namespace trackers

namespace trippers {

namespace {

void check_ratio(std::string_view component, double ratio) {
    fluxgate::detail::check_range(component, "ratio", ratio, 0.0, false, 1.0, true, "in (0, 1]");
}

}  // namespace

MinRequests::MinRequests(std::int64_t count) : count_(count) {
    fluxgate::detail::check_at_least("MinRequests", "count", count, 1);
}

FailureRate::FailureRate(double ratio) : ratio_(ratio) { check_ratio("FailureRate", ratio); }

bool FailureRate::operator()(const CallContext& context) const noexcept {
    const auto rate = context.metric.failure_rate();
    return rate && *rate >= ratio_;
}

AvgLatency::AvgLatency(Duration threshold) : threshold_(threshold) {
    fluxgate::detail::check_positive("AvgLatency", "threshold", threshold);
}

bool AvgLatency::operator()(const CallContext& context) const noexcept {
    const auto average = context.metric.avg_duration();
    return average && *average >= threshold_;
}

SlowRate::SlowRate(double ratio, Duration threshold) : ratio_(ratio), threshold_(threshold) {
    check_ratio("SlowRate", ratio);
    fluxgate::detail::check_positive("SlowRate", "threshold", threshold);
}

bool SlowRate::operator()(const CallContext& context) const noexcept {
    const auto rate = context.metric.slow_rate(threshold_);
    return rate && *rate >= ratio_;
}

FailureStreak::FailureStreak(std::int64_t count) : count_(count) {
    fluxgate::detail::check_at_least("FailureStreak", "count", count, 1);
}

Thresholds slow_thresholds(const Tripper& tripper) {
    // Collect every distinct threshold first, so that the error message can report their count.
    std::vector<Duration> distinct;
    for (const Tripper* leaf : tripper.leaves()) {
        const auto* slow = dynamic_cast<const SlowRate*>(leaf);
        if (slow != nullptr && std::find(distinct.begin(), distinct.end(), slow->threshold()) == distinct.end()) {
            distinct.push_back(slow->threshold());
        }
    }
    if (distinct.size() > kMaxSlowThresholds) {
        fluxgate::detail::throw_invalid("Options", "tripper",
                                        "a tree with at most " + std::to_string(kMaxSlowThresholds) +
                                            " distinct SlowRate thresholds",
                                        "a tree with " + std::to_string(distinct.size()));
    }

    Thresholds thresholds;
    for (Duration threshold : distinct) {
        thresholds.insert(threshold);
    }
    return thresholds;
}

}  // namespace trippers

namespace retries {

namespace {

void check_jitter(std::string_view component, double jitter) {
    fluxgate::detail::check_range(component, "jitter", jitter, 0.0, true, 1.0, false, "in [0, 1)");
}

// Scales `wait` by a factor uniform in [1 - jitter, 1 + jitter]. The factor
// is a hash of the seed and the OPEN period, so it is the same for every
// call in that period and needs no shared mutable state.
Duration apply_jitter(Duration wait, double jitter, std::uint64_t seed, TimePoint changed_at,
                      int reopens) noexcept {
    if (jitter == 0.0) {
        return wait;
    }
    const auto period = static_cast<std::uint64_t>(changed_at.time_since_epoch().count());
    const std::uint64_t bits =
        fluxgate::detail::mix64(seed ^ fluxgate::detail::mix64(period ^ fluxgate::detail::mix64(static_cast<std::uint64_t>(reopens))));
    const double factor = 1.0 - jitter + 2.0 * jitter * fluxgate::detail::to_unit(bits);
    const double scaled = static_cast<double>(wait.count()) * factor;
    constexpr auto kMax = static_cast<double>(std::numeric_limits<Duration::rep>::max());
    if (scaled >= kMax) {
        return Duration::max();
    }
    return Duration(static_cast<Duration::rep>(scaled));
}

}  // namespace

Cooldown::Cooldown(Duration wait, double jitter, std::optional<std::uint64_t> seed)
    : wait_(wait), jitter_(jitter), seed_(fluxgate::detail::seed_or_random(seed)) {
    fluxgate::detail::check_positive("Cooldown", "wait", wait);
    check_jitter("Cooldown", jitter);
}

Duration Cooldown::wait_for(TimePoint changed_at, int reopens) const noexcept {
    return apply_jitter(wait_, jitter_, seed_, changed_at, reopens);
}

Backoff::Backoff(Duration initial, double multiplier, Duration max, double jitter,
                 std::optional<std::uint64_t> seed)
    : initial_(initial), multiplier_(multiplier), max_(max), jitter_(jitter), seed_(fluxgate::detail::seed_or_random(seed)) {
    fluxgate::detail::check_positive("Backoff", "initial", initial);
    if (!std::isfinite(multiplier) || multiplier <= 1.0) {
        fluxgate::detail::throw_invalid("Backoff", "multiplier", "finite and greater than 1", fluxgate::detail::format_number(multiplier));
    }
    if (max < initial) {
        fluxgate::detail::throw_invalid("Backoff", "max", "at least initial (" + fluxgate::detail::format_duration(initial) + ")",
                              fluxgate::detail::format_duration(max));
    }
    check_jitter("Backoff", jitter);
}

Duration Backoff::base_wait(int reopens) const noexcept {
    if (reopens <= 0) {
        return initial_;
    }
    // Compare exponents in log space first: initial * multiplier^reopens >= max
    // exactly when reopens >= log(max / initial) / log(multiplier). This keeps
    // pow() away from values it would overflow on.
    const double limit = std::log(static_cast<double>(max_.count()) / static_cast<double>(initial_.count())) /
                         std::log(multiplier_);
    if (static_cast<double>(reopens) >= limit) {
        return max_;
    }
    const double wait = static_cast<double>(initial_.count()) * std::pow(multiplier_, reopens);
    return std::min(max_, Duration(static_cast<Duration::rep>(wait)));
}

Duration Backoff::wait_for(TimePoint changed_at, int reopens) const noexcept {
    return apply_jitter(base_wait(reopens), jitter_, seed_, changed_at, reopens);
}

}  // namespace retries

namespace permits {

Random::Random(double ratio, std::optional<std::uint64_t> seed)
    : ratio_(ratio), random_(std::make_shared<fluxgate::detail::RandomSource>(fluxgate::detail::seed_or_random(seed))) {
    fluxgate::detail::check_range("Random", "ratio", ratio, 0.0, true, 1.0, true, "in [0, 1]");
}

RampUp::RampUp(double initial, double final, Duration duration, std::optional<std::uint64_t> seed)
    : initial_(initial),
      final_(final),
      duration_(duration),
      random_(std::make_shared<fluxgate::detail::RandomSource>(fluxgate::detail::seed_or_random(seed))) {
    fluxgate::detail::check_range("RampUp", "initial", initial, 0.0, false, 1.0, true, "in (0, 1]");
    fluxgate::detail::check_range("RampUp", "final", final, initial, true, 1.0, true,
                        "in [initial, 1] = [" + fluxgate::detail::format_number(initial) + ", 1]");
    fluxgate::detail::check_positive("RampUp", "duration", duration);
}

double RampUp::probability(TimePoint changed_at, TimePoint now) const noexcept {
    const Duration elapsed = now - changed_at;
    if (elapsed <= Duration::zero()) {
        return initial_;
    }
    if (elapsed >= duration_) {
        return final_;
    }
    const double progress = static_cast<double>(elapsed.count()) / static_cast<double>(duration_.count());
    return initial_ + (final_ - initial_) * progress;
}

}  // namespace permits

}  // namespace fluxgate
