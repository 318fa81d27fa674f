#pragma once

/// @file
/// Trackers: which exceptions count as failures.

#include <concepts>
#include <exception>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

namespace fluxgate::trackers {

/// Decides whether an exception thrown by a protected call is a failure.
///
/// An exception the tracker rejects propagates to the caller and is not
/// recorded. Derive from `Tracker` to write your own; derived values compose
/// with `&`, `|` and `~` like the built-ins.
///
/// Thread safety: `operator()` is called concurrently from many threads and
/// must be safe for concurrent `const` calls.
class Tracker {
public:
    virtual ~Tracker() = default;

    /// Returns true if `error` counts as a failure.
    [[nodiscard]] virtual bool operator()(const std::exception& error) const = 0;

protected:
    Tracker() = default;
    /// Copying is for derived classes only, so a tracker is never sliced through its interface.
    Tracker(const Tracker&) = default;
    /// Copying is for derived classes only, so a tracker is never sliced through its interface.
    Tracker& operator=(const Tracker&) = default;
};

/// A type derived from `Tracker`, as the composition operators accept it.
template <class T>
concept TrackerType = std::derived_from<std::remove_cvref_t<T>, Tracker>;

/// Counts every exception as a failure.
class All final : public Tracker {
public:
    [[nodiscard]] bool operator()(const std::exception&) const noexcept override { return true; }
};

/// Counts exceptions of any of the types `E...` (or derived from them) as failures.
template <class... E>
    requires(sizeof...(E) > 0 && (std::derived_from<E, std::exception> && ...))
class TypeOf final : public Tracker {
public:
    [[nodiscard]] bool operator()(const std::exception& error) const noexcept override {
        return ((dynamic_cast<const E*>(&error) != nullptr) || ...);
    }
};

/// Counts an exception as a failure when `predicate` returns true.
class Custom final : public Tracker {
public:
    /// Returns true for an exception that counts as a failure.
    using Predicate = std::function<bool(const std::exception&)>;

    /// Throws `std::invalid_argument` if `predicate` is empty.
    explicit Custom(Predicate predicate);

    [[nodiscard]] bool operator()(const std::exception& error) const override { return predicate_(error); }

private:
    Predicate predicate_;
};

namespace detail {

using TrackerPtr = std::shared_ptr<const Tracker>;

template <TrackerType T>
[[nodiscard]] TrackerPtr share_tracker(T&& tracker) {
    return std::make_shared<const std::remove_cvref_t<T>>(std::forward<T>(tracker));
}

/// A failure for both trackers.
class AndTracker final : public Tracker {
public:
    AndTracker(TrackerPtr left, TrackerPtr right) : left_(std::move(left)), right_(std::move(right)) {}
    [[nodiscard]] bool operator()(const std::exception& error) const override {
        return (*left_)(error) && (*right_)(error);
    }

private:
    TrackerPtr left_;
    TrackerPtr right_;
};

/// A failure for either tracker.
class OrTracker final : public Tracker {
public:
    OrTracker(TrackerPtr left, TrackerPtr right) : left_(std::move(left)), right_(std::move(right)) {}
    [[nodiscard]] bool operator()(const std::exception& error) const override {
        return (*left_)(error) || (*right_)(error);
    }

private:
    TrackerPtr left_;
    TrackerPtr right_;
};

/// A shared tracker, as `~~t` returns it.
class SharedTracker final : public Tracker {
public:
    explicit SharedTracker(TrackerPtr inner) : inner_(std::move(inner)) {}
    [[nodiscard]] bool operator()(const std::exception& error) const override { return (*inner_)(error); }

private:
    TrackerPtr inner_;
};

/// A failure when the inner tracker returns false.
class NotTracker final : public Tracker {
public:
    explicit NotTracker(TrackerPtr inner) : inner_(std::move(inner)) {}
    [[nodiscard]] bool operator()(const std::exception& error) const override { return !(*inner_)(error); }

    /// Returns the negated tracker, so that a double negation collapses.
    [[nodiscard]] const TrackerPtr& inner() const noexcept { return inner_; }

private:
    TrackerPtr inner_;
};

}  // namespace detail

/// Counts an exception as a failure when both trackers do.
template <TrackerType L, TrackerType R>
[[nodiscard]] detail::AndTracker operator&(L&& left, R&& right) {
    return {detail::share_tracker(std::forward<L>(left)), detail::share_tracker(std::forward<R>(right))};
}

/// Counts an exception as a failure when either tracker does.
template <TrackerType L, TrackerType R>
[[nodiscard]] detail::OrTracker operator|(L&& left, R&& right) {
    return {detail::share_tracker(std::forward<L>(left)), detail::share_tracker(std::forward<R>(right))};
}

/// Counts an exception as a failure when the tracker does not.
template <TrackerType T>
    requires(!std::same_as<std::remove_cvref_t<T>, detail::NotTracker>)
[[nodiscard]] detail::NotTracker operator~(T&& tracker) {
    return detail::NotTracker(detail::share_tracker(std::forward<T>(tracker)));
}

/// Negating a negation gives back the original tracker.
[[nodiscard]] inline detail::SharedTracker operator~(const detail::NotTracker& tracker) {
    return detail::SharedTracker(tracker.inner());
}

}  // namespace fluxgate::trackers
