#pragma once

/// @file
/// `CircuitBreaker`: the thread-safe breaker and its two-step `Permission` API.

#include <concepts>
#include <exception>
#include <functional>
#include <optional>
#include <type_traits>
#include <utility>

#include <fluxgate/detail/state_machine.hpp>
#include <fluxgate/info.hpp>
#include <fluxgate/options.hpp>
#include <fluxgate/state.hpp>

namespace fluxgate {

class CircuitBreaker;

/// The right to run one call, from `CircuitBreaker::try_acquire`.
///
/// Report the outcome with `success()` or `failure()`; durations are measured
/// from acquisition unless given. Only the first outcome counts. A permission
/// destroyed or `release()`d without an outcome records nothing and frees its
/// HALF_OPEN slot, so an abandoned call never counts as a failure. Move-only.
///
/// Thread safety: distinct objects, safe; shared object, unsafe. A permission
/// may be moved to and completed on any thread.
class [[nodiscard]] Permission {
public:
    /// Takes over the pending call of `other`, which then records nothing.
    Permission(Permission&& other) noexcept
        : machine_(std::exchange(other.machine_, nullptr)), ticket_(other.ticket_) {}

    /// Releases this permission's pending call, if any, then takes over the call of `other`.
    Permission& operator=(Permission&& other) noexcept {
        if (this != &other) {
            release();
            machine_ = std::exchange(other.machine_, nullptr);
            ticket_ = other.ticket_;
        }
        return *this;
    }

    Permission(const Permission&) = delete;
    Permission& operator=(const Permission&) = delete;

    ~Permission() { release(); }

    /// Records a success timed from acquisition.
    void success() noexcept { finish(true); }

    /// Records a success that took `duration`.
    /// Throws `std::invalid_argument` if `duration` is negative; the permission stays pending.
    void success(Duration duration) { finish(true, duration); }

    /// Records a failure timed from acquisition.
    void failure() noexcept { finish(false); }

    /// Records a failure that took `duration`.
    /// Throws `std::invalid_argument` if `duration` is negative; the permission stays pending.
    void failure(Duration duration) { finish(false, duration); }

    /// Gives the permission back without recording anything.
    void release() noexcept {
        if (auto* machine = std::exchange(machine_, nullptr)) {
            machine->release(ticket_, false);
        }
    }

    /// Returns true until an outcome is reported or the permission is released.
    [[nodiscard]] bool pending() const noexcept { return machine_ != nullptr; }

    /// Returns the state that admitted the call.
    [[nodiscard]] State state() const noexcept { return ticket_.state; }

private:
    friend class CircuitBreaker;

    Permission(detail::StateMachine& machine, const detail::Ticket& ticket) noexcept
        : machine_(&machine), ticket_(ticket) {}

    void finish(bool success) noexcept {
        if (auto* machine = std::exchange(machine_, nullptr)) {
            machine->complete(ticket_, success);
        }
    }

    void finish(bool success, Duration duration);

    detail::StateMachine* machine_;
    detail::Ticket ticket_;
};

/// A thread-safe circuit breaker.
///
/// ```cpp
/// fluxgate::CircuitBreaker breaker{{
///     .window = fluxgate::windows::TimeWindow(60s),
///     .tripper = FailureStreak(5) | (MinRequests(20) & FailureRate(0.5)),
/// }};
/// int status = breaker.call(fetch_status, payment_id);
/// ```
///
/// Every call is timed with the breaker's clock. A normal return is a
/// success; an exception derived from `std::exception` that the tracker
/// counts is a failure; any other exception propagates and records nothing.
/// Results and exceptions pass through unchanged.
///
/// Thread safety: distinct objects, safe; shared object, safe. The breaker
/// is neither copyable nor movable, because wrappers and permissions refer
/// to it; it must outlive them.
class CircuitBreaker {
public:
    /// Builds a breaker with the default options.
    CircuitBreaker() : CircuitBreaker(Options{}) {}

    /// Builds a breaker. Throws `std::invalid_argument` for invalid options.
    explicit CircuitBreaker(Options options) : machine_(std::move(options)) {}

    CircuitBreaker(const CircuitBreaker&) = delete;
    CircuitBreaker& operator=(const CircuitBreaker&) = delete;

    /// Runs `f(args...)` through the breaker and returns its result.
    ///
    /// Throws `CallNotPermittedError` without running `f` when the circuit
    /// rejects the call, and rethrows whatever `f` throws.
    template <class F, class... Args>
        requires std::invocable<F&, Args&&...>
    std::invoke_result_t<F&, Args&&...> call(F&& f, Args&&... args) {
        return call_classified(f, no_result_failures, std::forward<Args>(args)...);
    }

    /// Like `call`, and also counts a returned value as a failure when
    /// `is_failure(result)` is true, as for an HTTP 503 or an `std::error_code`.
    /// The result is returned either way. For a `void` callable, `is_failure`
    /// takes no arguments.
    template <class F, class IsFailure, class... Args>
        requires std::invocable<F&, Args&&...>
    std::invoke_result_t<F&, Args&&...> call_classified(F&& f, IsFailure&& is_failure, Args&&... args) {
        using Result = std::invoke_result_t<F&, Args&&...>;
        const detail::Admission admission = machine_.admit();
        if (!admission.admitted()) {
            throw CallNotPermittedError(machine_.name(), admission.rejected_by());
        }
        Attempt attempt(machine_, admission.ticket);
        try {
            if constexpr (std::is_void_v<Result>) {
                std::invoke(f, std::forward<Args>(args)...);
                attempt.complete(!classify_void(is_failure));
            } else {
                decltype(auto) result = std::invoke(f, std::forward<Args>(args)...);
                attempt.complete(!classify_value(is_failure, std::as_const(result)));
                if constexpr (std::is_reference_v<Result>) {
                    return static_cast<Result>(result);
                } else {
                    return result;
                }
            }
        } catch (const std::exception& error) {
            attempt.classify(error);
            throw;
        }
    }

    /// Runs `f(args...)` through the breaker; if the call is rejected or `f`
    /// throws an exception derived from `std::exception`, returns
    /// `fallback(error)` instead. The fallback's result must convert to `f`'s.
    ///
    /// A rejection reaches the fallback as a `CallNotPermittedError` that was
    /// never thrown, which keeps rejections cheap. So the fallback must not
    /// rethrow with a bare `throw;`, which would call `std::terminate` for a
    /// rejection; it may throw a new exception.
    template <class F, class Fallback, class... Args>
        requires std::invocable<F&, Args&&...> && std::invocable<Fallback&, const std::exception&>
    std::invoke_result_t<F&, Args&&...> call_with_fallback(F&& f, Fallback&& fallback, Args&&... args) {
        using Result = std::invoke_result_t<F&, Args&&...>;
        const detail::Admission admission = machine_.admit();
        if (!admission.admitted()) {
            // The rejection is handed over without being thrown.
            const CallNotPermittedError error(machine_.name(), admission.rejected_by());
            return static_cast<Result>(std::invoke(fallback, error));
        }
        Attempt attempt(machine_, admission.ticket);
        try {
            if constexpr (std::is_void_v<Result>) {
                std::invoke(f, std::forward<Args>(args)...);
                attempt.complete(true);
            } else {
                decltype(auto) result = std::invoke(f, std::forward<Args>(args)...);
                attempt.complete(true);
                if constexpr (std::is_reference_v<Result>) {
                    return static_cast<Result>(result);
                } else {
                    return result;
                }
            }
        } catch (const std::exception& error) {
            attempt.classify(error);
            return static_cast<Result>(std::invoke(fallback, error));
        }
    }

    /// Returns a callable that runs `f` through this breaker on every call.
    /// The breaker must outlive it.
    template <class F>
    [[nodiscard]] auto wrap(F&& f) {
        return [breaker = this, f = std::forward<F>(f)](auto&&... args) mutable -> decltype(auto) {
            return breaker->call(f, std::forward<decltype(args)>(args)...);
        };
    }

    /// Returns a callable that runs `f` through this breaker and returns
    /// `fallback(error)` when the call is rejected or throws. The breaker must
    /// outlive it.
    template <class F, class Fallback>
    [[nodiscard]] auto wrap(F&& f, Fallback&& fallback) {
        return [breaker = this, f = std::forward<F>(f), fallback = std::forward<Fallback>(fallback)](
                   auto&&... args) mutable -> decltype(auto) {
            return breaker->call_with_fallback(f, fallback, std::forward<decltype(args)>(args)...);
        };
    }

    /// Asks for the right to run one call, for callback and event-loop code.
    ///
    /// Returns nothing when the circuit rejects the call. Never throws.
    [[nodiscard]] std::optional<Permission> try_acquire() noexcept {
        const detail::Admission admission = machine_.admit();
        if (!admission.admitted()) {
            return std::nullopt;
        }
        return Permission(machine_, admission.ticket);
    }

    /// Returns a consistent snapshot: state, last transition, reopens, metric and call counts.
    [[nodiscard]] Info info() const { return machine_.info(); }

    /// Returns the current state without taking a lock.
    [[nodiscard]] State state() const noexcept { return machine_.state(); }

    /// Returns the distinct `SlowRate` thresholds of the tripper, in
    /// increasing order: the thresholds whose slow counts `info().metrics` keeps.
    [[nodiscard]] const Thresholds& slow_thresholds() const noexcept { return machine_.slow_thresholds(); }

    /// Returns the name given in `Options::name`.
    [[nodiscard]] const std::string& name() const noexcept { return machine_.name(); }

    /// Moves to CLOSED, clearing the window and the reopen count.
    void reset() noexcept { machine_.transition_manually(State::closed); }

    /// Moves to METRICS_ONLY: calls are recorded but never trip the circuit.
    void metrics_only() noexcept { machine_.transition_manually(State::metrics_only); }

    /// Moves to DISABLED: calls pass through and nothing is recorded.
    void disable() noexcept { machine_.transition_manually(State::disabled); }

    /// Moves to FORCED_OPEN: every call is rejected until another manual transition.
    void force_open() noexcept { machine_.transition_manually(State::forced_open); }

private:
    // Completes or releases an admitted call exactly once; a call that
    // leaves by an exception the tracker never saw is released.
    class Attempt {
    public:
        Attempt(detail::StateMachine& machine, const detail::Ticket& ticket) noexcept
            : machine_(machine), ticket_(ticket) {}
        Attempt(const Attempt&) = delete;
        Attempt& operator=(const Attempt&) = delete;
        ~Attempt() {
            if (!done_) {
                machine_.release(ticket_, true);
            }
        }

        void complete(bool success) noexcept {
            done_ = true;
            machine_.complete(ticket_, success);
        }

        // Records a failure if the tracker counts `error`; otherwise the
        // destructor releases the call as ignored. A tracker that throws
        // leaves the call released as well.
        void classify(const std::exception& error) {
            if (!done_ && machine_.is_failure(error)) {
                complete(false);
            }
        }

    private:
        detail::StateMachine& machine_;
        detail::Ticket ticket_;
        bool done_ = false;
    };

    struct NoResultFailures {};
    static constexpr NoResultFailures no_result_failures{};

    template <class IsFailure>
    static bool classify_void(IsFailure& is_failure) {
        if constexpr (std::same_as<std::remove_cvref_t<IsFailure>, NoResultFailures>) {
            return false;
        } else {
            return static_cast<bool>(std::invoke(is_failure));
        }
    }

    template <class IsFailure, class Result>
    static bool classify_value(IsFailure& is_failure, const Result& result) {
        if constexpr (std::same_as<std::remove_cvref_t<IsFailure>, NoResultFailures>) {
            return false;
        } else {
            return static_cast<bool>(std::invoke(is_failure, result));
        }
    }

    detail::StateMachine machine_;
};

}  // namespace fluxgate
