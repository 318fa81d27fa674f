#pragma once

/// @file
/// Trippers: the rules that open the circuit.

#include <concepts>
#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include <fluxgate/clock.hpp>
#include <fluxgate/metric.hpp>
#include <fluxgate/state.hpp>

namespace fluxgate::trippers {

/// The input of a tripper, built after each recorded call.
struct CallContext {
    Metric metric;                          ///< The window's metric, including the call just recorded.
    State state = State::closed;            ///< `closed` or `half_open`.
    std::int64_t consecutive_failures = 0;  ///< Failures since the last success or transition.
};

/// A boolean rule over a `CallContext`. In CLOSED, true opens the circuit;
/// in HALF_OPEN, true after a failure reopens it and false after a success
/// closes it.
///
/// Derive from `Tripper` to write your own; derived values compose with `&`
/// and `|` like the built-ins.
///
/// Thread safety: the breaker evaluates its tripper while holding its lock,
/// so `operator()` must be fast, must not block and must not call back into
/// the breaker.
class Tripper {
public:
    virtual ~Tripper() = default;

    /// Returns true if the circuit should open.
    [[nodiscard]] virtual bool operator()(const CallContext& context) const = 0;

    /// Returns the leaves of this tripper's tree in left-to-right order. A
    /// plain tripper is its own only leaf; `&` and `|` return their children's.
    [[nodiscard]] std::vector<const Tripper*> leaves() const {
        std::vector<const Tripper*> result;
        collect_leaves(result);
        return result;
    }

    /// Appends this tripper's leaves to `out`. Override it in a tripper that
    /// wraps others, so that a breaker finds every `SlowRate` threshold.
    virtual void collect_leaves(std::vector<const Tripper*>& out) const { out.push_back(this); }

protected:
    Tripper() = default;
    /// Copying is for derived classes only, so a tripper is never sliced through its interface.
    Tripper(const Tripper&) = default;
    /// Copying is for derived classes only, so a tripper is never sliced through its interface.
    Tripper& operator=(const Tripper&) = default;
};

/// A type derived from `Tripper`, as the composition operators accept it.
template <class T>
concept TripperType = std::derived_from<std::remove_cvref_t<T>, Tripper>;

/// True while the breaker is CLOSED.
class Closed final : public Tripper {
public:
    [[nodiscard]] bool operator()(const CallContext& context) const noexcept override {
        return context.state == State::closed;
    }
};

/// True while the breaker is HALF_OPEN.
class HalfOpened final : public Tripper {
public:
    [[nodiscard]] bool operator()(const CallContext& context) const noexcept override {
        return context.state == State::half_open;
    }
};

/// True when the window contains at least `count` calls.
class MinRequests final : public Tripper {
public:
    /// Throws `std::invalid_argument` unless `count >= 1`.
    explicit MinRequests(std::int64_t count);

    [[nodiscard]] bool operator()(const CallContext& context) const noexcept override {
        return context.metric.total_count >= count_;
    }
    /// Returns the number of calls the window must hold.
    [[nodiscard]] std::int64_t count() const noexcept { return count_; }

private:
    std::int64_t count_;
};

/// True when `failure_count / total_count >= ratio`; false on an empty window.
class FailureRate final : public Tripper {
public:
    /// Throws `std::invalid_argument` unless `0 < ratio <= 1`.
    explicit FailureRate(double ratio);

    [[nodiscard]] bool operator()(const CallContext& context) const noexcept override;
    /// Returns the failure rate at which the tripper is true.
    [[nodiscard]] double ratio() const noexcept { return ratio_; }

private:
    double ratio_;
};

/// True when the average call duration is at least `threshold`; false on an empty window.
class AvgLatency final : public Tripper {
public:
    /// Throws `std::invalid_argument` unless `threshold > 0`.
    explicit AvgLatency(Duration threshold);

    [[nodiscard]] bool operator()(const CallContext& context) const noexcept override;
    /// Returns the average duration at which the tripper is true.
    [[nodiscard]] Duration threshold() const noexcept { return threshold_; }

private:
    Duration threshold_;
};

/// True when the share of calls that took at least `threshold` is at least
/// `ratio`; false on an empty window. Failed calls count with their measured
/// duration.
class SlowRate final : public Tripper {
public:
    /// Throws `std::invalid_argument` unless `0 < ratio <= 1` and `threshold > 0`.
    SlowRate(double ratio, Duration threshold);

    [[nodiscard]] bool operator()(const CallContext& context) const noexcept override;
    /// Returns the share of slow calls at which the tripper is true.
    [[nodiscard]] double ratio() const noexcept { return ratio_; }
    /// Returns the duration from which a call is slow.
    [[nodiscard]] Duration threshold() const noexcept { return threshold_; }

private:
    double ratio_;
    Duration threshold_;
};

/// True after `count` consecutive failures.
class FailureStreak final : public Tripper {
public:
    /// Throws `std::invalid_argument` unless `count >= 1`.
    explicit FailureStreak(std::int64_t count);

    [[nodiscard]] bool operator()(const CallContext& context) const noexcept override {
        return context.consecutive_failures >= count_;
    }
    /// Returns the number of consecutive failures at which the tripper is true.
    [[nodiscard]] std::int64_t count() const noexcept { return count_; }

private:
    std::int64_t count_;
};

/// Returns the distinct `SlowRate` thresholds among the leaves of `tripper`.
/// Throws `std::invalid_argument` if there are more than `kMaxSlowThresholds`.
[[nodiscard]] Thresholds slow_thresholds(const Tripper& tripper);

namespace detail {

using TripperPtr = std::shared_ptr<const Tripper>;

template <TripperType T>
[[nodiscard]] TripperPtr share_tripper(T&& tripper) {
    return std::make_shared<const std::remove_cvref_t<T>>(std::forward<T>(tripper));
}

/// True when both children are; evaluates the right child only if needed.
class AndTripper final : public Tripper {
public:
    AndTripper(TripperPtr left, TripperPtr right) : left_(std::move(left)), right_(std::move(right)) {}
    [[nodiscard]] bool operator()(const CallContext& context) const override {
        return (*left_)(context) && (*right_)(context);
    }
    void collect_leaves(std::vector<const Tripper*>& out) const override {
        left_->collect_leaves(out);
        right_->collect_leaves(out);
    }

private:
    TripperPtr left_;
    TripperPtr right_;
};

/// True when either child is; evaluates the right child only if needed.
class OrTripper final : public Tripper {
public:
    OrTripper(TripperPtr left, TripperPtr right) : left_(std::move(left)), right_(std::move(right)) {}
    [[nodiscard]] bool operator()(const CallContext& context) const override {
        return (*left_)(context) || (*right_)(context);
    }
    void collect_leaves(std::vector<const Tripper*>& out) const override {
        left_->collect_leaves(out);
        right_->collect_leaves(out);
    }

private:
    TripperPtr left_;
    TripperPtr right_;
};

}  // namespace detail

/// True when both trippers are.
template <TripperType L, TripperType R>
[[nodiscard]] detail::AndTripper operator&(L&& left, R&& right) {
    return {detail::share_tripper(std::forward<L>(left)), detail::share_tripper(std::forward<R>(right))};
}

/// True when either tripper is.
template <TripperType L, TripperType R>
[[nodiscard]] detail::OrTripper operator|(L&& left, R&& right) {
    return {detail::share_tripper(std::forward<L>(left)), detail::share_tripper(std::forward<R>(right))};
}

}  // namespace fluxgate::trippers
