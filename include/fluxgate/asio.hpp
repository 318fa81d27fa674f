#pragma once

/// @file
/// `AsyncCircuitBreaker`: the circuit breaker for C++20 coroutines on
/// standalone Asio. Link the CMake target `fluxgate::asio`.

#include <asio/awaitable.hpp>
#include <asio/cancellation_state.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <concepts>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <fluxgate/detail/async_core.hpp>
#include <fluxgate/errors.hpp>
#include <fluxgate/info.hpp>
#include <fluxgate/options.hpp>
#include <fluxgate/state.hpp>

namespace fluxgate {

namespace listeners {

/// Any callable taking `const Signal&` and returning `asio::awaitable<void>`.
///
/// Async listeners are awaited after the transition, outside every lock,
/// after the synchronous listeners and in registration order, each signal
/// exactly once and in the order the transitions happened. The call that
/// caused a transition awaits them before it returns, unless the async
/// listeners of an earlier transition are still running: then its signal is
/// queued behind them and the call returns without waiting. Listeners run in
/// a coroutine of their own on the executor of a call that caused a
/// transition, which cancelling that call does not interrupt. An exception
/// from a listener is passed to the error handler (see `set_error_handler`)
/// and the next listener runs. A listener may call back into the breaker.
using AsyncListener = detail::AsyncListenerFunction;

}  // namespace listeners

namespace detail {

template <class T>
struct AwaitableTraits : std::false_type {};

template <class T>
struct AwaitableTraits<asio::awaitable<T>> : std::true_type {
    using value_type = T;
};

/// Satisfied when `F&` called with rvalues of `Args...` returns an `asio::awaitable<T>`.
template <class F, class... Args>
concept AwaitableCallable =
    std::invocable<F&, Args...> && AwaitableTraits<std::invoke_result_t<F&, Args...>>::value;

/// The `T` of the `asio::awaitable<T>` that `F&` returns for `Args...`.
template <class F, class... Args>
using AwaitableValue = typename AwaitableTraits<std::invoke_result_t<F&, Args...>>::value_type;

/// Satisfied when a fallback for calls returning `T` takes `const std::exception&`
/// and returns a `T`, or an `asio::awaitable` of a `T`.
template <class Fallback, class T>
concept AsyncFallbackFor = std::invocable<Fallback&, const std::exception&> &&
                           (AwaitableTraits<std::invoke_result_t<Fallback&, const std::exception&>>::value ||
                            std::is_void_v<T> ||
                            std::convertible_to<std::invoke_result_t<Fallback&, const std::exception&>, T>);

}  // namespace detail

/// A circuit breaker for C++20 coroutines on standalone Asio.
///
/// ```cpp
/// fluxgate::AsyncCircuitBreaker breaker{{
///     .tripper = FailureStreak(5) | (MinRequests(20) & FailureRate(0.5)),
///     .max_half_open_calls = 2,
/// }};
/// int status = co_await breaker.call(fetch_status, payment_id);   // fetch_status returns asio::awaitable<int>
/// ```
///
/// It takes the same `Options` and follows the same rules as
/// `CircuitBreaker`, through the same state machine, with two differences:
/// a call that finds every HALF_OPEN slot taken waits for one without
/// blocking a thread and then tries again, and async listeners (see
/// `listeners::AsyncListener`) are awaited after the synchronous ones.
/// A waiting call that gets its turn after the circuit closed runs as a
/// CLOSED call and holds no slot; one that gets it after the circuit opened
/// is rejected.
///
/// Every call is timed with the breaker's clock, from admission to the end
/// of the awaited call. A normal return is a success; an exception derived
/// from `std::exception` that the tracker counts is a failure; any other
/// exception propagates and records nothing.
///
/// Cancellation: when the awaiting coroutine is cancelled (its cancellation
/// state is cancelled when the call throws), or the call throws a
/// `std::system_error` with `asio::error::operation_aborted` (a cancelled
/// timer or socket), the call is never recorded, its HALF_OPEN slot is
/// freed and the exception propagates. A call cancelled while it waits for
/// a slot throws `std::system_error` with `asio::error::operation_aborted`.
/// Cancellation types `terminal`, `partial` and `total` are supported.
///
/// The protected callable and its arguments are decay-copied into the call's
/// coroutine, as `std::thread` does, so the awaitable may outlive them; pass
/// `std::ref` for a reference.
///
/// Thread safety: distinct objects, safe; shared object, safe, from any
/// number of threads, executors and strands. Parked calls resume on their
/// own executor. The breaker is neither copyable nor movable, and it must
/// outlive every call and wrapper on it, including calls parked for a
/// HALF_OPEN slot and deliveries to async listeners.
class AsyncCircuitBreaker {
public:
    /// Builds a breaker with the default options.
    AsyncCircuitBreaker() : AsyncCircuitBreaker(Options{}) {}

    /// Builds a breaker from `options` plus `async_listeners`.
    /// Throws `std::invalid_argument` for invalid options or an empty async listener.
    explicit AsyncCircuitBreaker(Options options, std::vector<listeners::AsyncListener> async_listeners = {})
        : core_(std::move(options), std::move(async_listeners)) {}

    AsyncCircuitBreaker(const AsyncCircuitBreaker&) = delete;
    AsyncCircuitBreaker& operator=(const AsyncCircuitBreaker&) = delete;

    /// Awaits `fetch(args...)` through the breaker and returns its result.
    ///
    /// Throws `CallNotPermittedError` without calling `fetch` when the
    /// circuit rejects the call, and rethrows whatever the call throws.
    template <class F, class... Args>
        requires detail::AwaitableCallable<std::decay_t<F>, std::decay_t<Args>...>
    [[nodiscard]] asio::awaitable<detail::AwaitableValue<std::decay_t<F>, std::decay_t<Args>...>> call(
        F&& fetch, Args&&... args) {
        using T = detail::AwaitableValue<std::decay_t<F>, std::decay_t<Args>...>;
        return run<T>(std::forward<F>(fetch), NoResultFailures{}, NoFallback{}, std::forward<Args>(args)...);
    }

    /// Like `call`, and also counts a returned value as a failure when
    /// `is_failure(result)` is true, as for an HTTP 503 or an `std::error_code`.
    /// The result is returned either way. For `asio::awaitable<void>`,
    /// `is_failure` takes no arguments.
    template <class F, class IsFailure, class... Args>
        requires detail::AwaitableCallable<std::decay_t<F>, std::decay_t<Args>...>
    [[nodiscard]] asio::awaitable<detail::AwaitableValue<std::decay_t<F>, std::decay_t<Args>...>> call_classified(
        F&& fetch, IsFailure&& is_failure, Args&&... args) {
        using T = detail::AwaitableValue<std::decay_t<F>, std::decay_t<Args>...>;
        return run<T>(std::forward<F>(fetch), std::forward<IsFailure>(is_failure), NoFallback{},
                      std::forward<Args>(args)...);
    }

    /// Awaits `fetch(args...)` through the breaker. If the call is rejected
    /// or throws an exception derived from `std::exception`, returns
    /// `fallback(error)` instead, awaited if it is an `asio::awaitable`.
    /// Cancellation never reaches the fallback and propagates as in `call`.
    template <class F, class Fallback, class... Args>
        requires detail::AwaitableCallable<std::decay_t<F>, std::decay_t<Args>...> &&
                 detail::AsyncFallbackFor<std::decay_t<Fallback>,
                                          detail::AwaitableValue<std::decay_t<F>, std::decay_t<Args>...>>
    [[nodiscard]] asio::awaitable<detail::AwaitableValue<std::decay_t<F>, std::decay_t<Args>...>> call_with_fallback(
        F&& fetch, Fallback&& fallback, Args&&... args) {
        using T = detail::AwaitableValue<std::decay_t<F>, std::decay_t<Args>...>;
        return run<T>(std::forward<F>(fetch), NoResultFailures{}, std::forward<Fallback>(fallback),
                      std::forward<Args>(args)...);
    }

    /// Returns a callable that awaits `fetch` through this breaker on every
    /// call, returning the same `asio::awaitable` as `call`. The breaker
    /// must outlive it.
    template <class F>
    [[nodiscard]] auto wrap(F&& fetch) {
        return [breaker = this, fetch = std::forward<F>(fetch)](auto&&... args) {
            return breaker->call(fetch, std::forward<decltype(args)>(args)...);
        };
    }

    /// Returns a callable that awaits `fetch` through this breaker and
    /// returns `fallback(error)` when the call is rejected or throws, as
    /// `call_with_fallback` does. The breaker must outlive it.
    template <class F, class Fallback>
    [[nodiscard]] auto wrap(F&& fetch, Fallback&& fallback) {
        return [breaker = this, fetch = std::forward<F>(fetch), fallback = std::forward<Fallback>(fallback)](
                   auto&&... args) {
            return breaker->call_with_fallback(fetch, fallback, std::forward<decltype(args)>(args)...);
        };
    }

    /// Returns a consistent snapshot: state, last transition, reopens, metric and call counts.
    [[nodiscard]] Info info() const { return core_.machine().info(); }

    /// Returns the current state without taking a lock.
    [[nodiscard]] State state() const noexcept { return core_.machine().state(); }

    /// Returns the name given in `Options::name`.
    [[nodiscard]] const std::string& name() const noexcept { return core_.machine().name(); }

    /// Moves to CLOSED, clearing the window and the reopen count, and awaits the async listeners.
    [[nodiscard]] asio::awaitable<void> reset() { return core_.transition(State::closed); }

    /// Moves to METRICS_ONLY (calls are recorded but never trip the circuit)
    /// and awaits the async listeners.
    [[nodiscard]] asio::awaitable<void> metrics_only() { return core_.transition(State::metrics_only); }

    /// Moves to DISABLED (calls pass through and nothing is recorded) and
    /// awaits the async listeners.
    [[nodiscard]] asio::awaitable<void> disable() { return core_.transition(State::disabled); }

    /// Moves to FORCED_OPEN (every call is rejected until another manual
    /// transition) and awaits the async listeners.
    [[nodiscard]] asio::awaitable<void> force_open() { return core_.transition(State::forced_open); }

private:
    struct NoResultFailures {};
    struct NoFallback {};

    // Completes or releases an admitted call exactly once. A call that
    // leaves without an outcome, for example because the tracker threw, is
    // released as ignored.
    class Attempt {
    public:
        Attempt(detail::AsyncCore& core, const detail::Ticket& ticket) noexcept : core_(core), ticket_(ticket) {}
        Attempt(const Attempt&) = delete;
        Attempt& operator=(const Attempt&) = delete;
        ~Attempt() {
            if (!done_) {
                core_.machine().release(ticket_, true);
            }
        }

        [[nodiscard]] detail::Delivery complete(bool success) noexcept {
            done_ = true;
            return core_.complete(ticket_, success);
        }

        void release(bool ignored) noexcept {
            done_ = true;
            core_.machine().release(ticket_, ignored);
        }

    private:
        detail::AsyncCore& core_;
        detail::Ticket ticket_;
        bool done_ = false;
    };

    template <class IsFailure, class... Result>
    static bool is_failure_result(IsFailure& is_failure, const Result&... result) {
        if constexpr (std::same_as<IsFailure, NoResultFailures>) {
            return false;
        } else {
            return static_cast<bool>(std::invoke(is_failure, result...));
        }
    }

    // Returns `fallback(error)`, awaited if it is an `asio::awaitable`.
    template <class T, class Fallback>
    static asio::awaitable<T> invoke_fallback(Fallback& fallback, const std::exception& error) {
        using Result = std::invoke_result_t<Fallback&, const std::exception&>;
        if constexpr (std::is_void_v<T>) {
            if constexpr (detail::AwaitableTraits<Result>::value) {
                co_await std::invoke(fallback, error);
            } else {
                std::invoke(fallback, error);
            }
            co_return;
        } else if constexpr (detail::AwaitableTraits<Result>::value) {
            co_return static_cast<T>(co_await std::invoke(fallback, error));
        } else {
            co_return static_cast<T>(std::invoke(fallback, error));
        }
    }

    // The body of every call. It takes everything by value, so the
    // coroutine frame owns what it uses.
    template <class T, class F, class IsFailure, class Fallback, class... Args>
    asio::awaitable<T> run(F fetch, IsFailure is_failure, Fallback fallback, Args... args) {
        constexpr bool has_fallback = !std::same_as<Fallback, NoFallback>;

        const detail::Admission admission = co_await core_.acquire();
        if (!admission.admitted()) {
            const CallNotPermittedError rejection(name(), admission.rejected_by());
            if constexpr (!has_fallback) {
                throw rejection;
            } else if constexpr (std::is_void_v<T>) {
                co_await invoke_fallback<T>(fallback, rejection);
                co_return;
            } else {
                co_return co_await invoke_fallback<T>(fallback, rejection);
            }
        }

        Attempt attempt(core_, admission.ticket);
        std::optional<std::conditional_t<std::is_void_v<T>, std::monostate, T>> result;
        bool failed = false;
        std::exception_ptr error;
        try {
            if constexpr (std::is_void_v<T>) {
                co_await std::invoke(fetch, std::move(args)...);
                failed = is_failure_result(is_failure);
            } else {
                result.emplace(co_await std::invoke(fetch, std::move(args)...));
                failed = is_failure_result(is_failure, std::as_const(*result));
            }
        } catch (...) {
            error = std::current_exception();
        }

        if (!error) {
            if (const detail::Delivery delivery = attempt.complete(!failed)) {
                const asio::any_io_executor executor = co_await asio::this_coro::executor;
                co_await core_.deliver(delivery, executor);
            }
            if constexpr (std::is_void_v<T>) {
                co_return;
            } else {
                co_return std::move(*result);
            }
        }

        const asio::cancellation_state cancellation = co_await asio::this_coro::cancellation_state;
        switch (core_.classify(error, cancellation.cancelled() != asio::cancellation_type::none)) {
            case detail::ErrorKind::cancellation:
                attempt.release(false);
                std::rethrow_exception(error);
            case detail::ErrorKind::ignored:
                attempt.release(true);
                break;
            case detail::ErrorKind::failure:
                if (const detail::Delivery delivery = attempt.complete(false)) {
                    const asio::any_io_executor executor = co_await asio::this_coro::executor;
                    co_await core_.deliver(delivery, executor);
                }
                break;
        }

        if constexpr (has_fallback) {
            const std::exception* standard = nullptr;
            try {
                std::rethrow_exception(error);
            } catch (const std::exception& thrown) {
                // `error` keeps the exception object alive after the handler ends.
                standard = &thrown;
            } catch (...) {
            }
            if (standard != nullptr) {
                if constexpr (std::is_void_v<T>) {
                    co_await invoke_fallback<T>(fallback, *standard);
                    co_return;
                } else {
                    co_return co_await invoke_fallback<T>(fallback, *standard);
                }
            }
        }
        std::rethrow_exception(error);
    }

    detail::AsyncCore core_;
};

}  // namespace fluxgate
