#pragma once

// Helpers for the tests of `AsyncCircuitBreaker`: spawning calls and
// keeping their outcomes, gates that hold a call until the test opens them,
// and small fakes. Everything here is for one test thread driving its own
// `io_context`, except the helpers whose comment states they are thread-safe.

#include <fluxgate/asio.hpp>

#include <asio/bind_cancellation_slot.hpp>
#include <asio/cancellation_signal.hpp>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/strand.hpp>

#include <gtest/gtest.h>

#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

namespace fluxgate::testing {

/// Runs every ready handler of `io` until none is left, after a `restart()`.
/// Unlike `run()`, it returns while calls are parked, so a lost wake-up shows
/// up as an unfinished call instead of a hang.
inline void run_ready(asio::io_context& io) {
    io.restart();
    while (io.poll() > 0) {
    }
}

/// What a spawned coroutine ended with.
template <class T>
struct Outcome {
    bool done = false;
    std::exception_ptr error;
    std::optional<T> value;

    /// Returns true if it finished with a value (or normally, for `void`).
    [[nodiscard]] bool succeeded() const { return done && !error; }
};

using VoidOutcome = Outcome<std::monostate>;

/// Spawns `awaitable` on `io` and returns where its outcome lands. The
/// coroutine is cancelled when `slot`'s signal is emitted.
template <class T>
std::shared_ptr<Outcome<T>> spawn(asio::io_context& io, asio::awaitable<T> awaitable,
                                  asio::cancellation_slot slot = {}) {
    auto outcome = std::make_shared<Outcome<T>>();
    asio::co_spawn(io, std::move(awaitable),
                   asio::bind_cancellation_slot(slot, [outcome](std::exception_ptr error, T value) {
                       outcome->done = true;
                       outcome->error = error;
                       if (!error) {
                           outcome->value = std::move(value);
                       }
                   }));
    return outcome;
}

inline std::shared_ptr<VoidOutcome> spawn(asio::io_context& io, asio::awaitable<void> awaitable,
                                          asio::cancellation_slot slot = {}) {
    auto outcome = std::make_shared<VoidOutcome>();
    asio::co_spawn(io, std::move(awaitable),
                   asio::bind_cancellation_slot(slot, [outcome](std::exception_ptr error) {
                       outcome->done = true;
                       outcome->error = error;
                       if (!error) {
                           outcome->value = std::monostate{};
                       }
                   }));
    return outcome;
}

/// Returns the state named by the `CallNotPermittedError` in `error`, or
/// nothing if `error` contains another exception or none.
inline std::optional<State> rejected_by(const std::exception_ptr& error) {
    if (!error) {
        return std::nullopt;
    }
    try {
        std::rethrow_exception(error);
    } catch (const CallNotPermittedError& rejection) {
        return rejection.state();
    } catch (...) {
        return std::nullopt;
    }
}

/// Returns true if `error` contains a `std::system_error` with `asio::error::operation_aborted`.
inline bool is_operation_aborted(const std::exception_ptr& error) {
    if (!error) {
        return false;
    }
    try {
        std::rethrow_exception(error);
    } catch (const std::system_error& thrown) {
        return thrown.code() == std::error_code(asio::error::operation_aborted);
    } catch (...) {
        return false;
    }
}

/// Returns the message of the `std::exception` in `error`, or an empty string.
inline std::string message_of(const std::exception_ptr& error) {
    if (!error) {
        return {};
    }
    try {
        std::rethrow_exception(error);
    } catch (const std::exception& thrown) {
        return thrown.what();
    } catch (...) {
        return {};
    }
}

/// A point where calls wait until the test opens it.
class Gate {
public:
    explicit Gate(asio::io_context& io) : timer_(io, asio::steady_timer::time_point::max()) {}

    /// Completes once the gate is open. Throws `std::system_error` with
    /// `operation_aborted` when the awaiting coroutine is cancelled.
    asio::awaitable<void> pass() {
        ++waiting_;
        while (!open_) {
            co_await timer_.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
            const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
            if (state.cancelled() != asio::cancellation_type::none) {
                --waiting_;
                throw std::system_error(asio::error::operation_aborted);
            }
        }
        --waiting_;
    }

    /// Lets every waiting and later call through.
    void open() {
        open_ = true;
        timer_.cancel();
    }

    /// Returns the number of calls waiting at the gate.
    [[nodiscard]] int waiting() const { return waiting_; }

private:
    asio::steady_timer timer_;
    bool open_ = false;
    int waiting_ = 0;
};

/// An error the tests' trackers count as a failure.
struct ServiceError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A protected call that returns `value` or throws `ServiceError`.
inline asio::awaitable<int> respond(int value, bool fail) {
    if (fail) {
        throw ServiceError("service failed");
    }
    co_return value;
}

/// A tripper that opens the circuit on the first failure while CLOSED and,
/// while HALF_OPEN, keeps it half-open until `probes` calls succeeded.
class HalfOpenFor final : public trippers::Tripper {
public:
    explicit HalfOpenFor(std::int64_t probes) : probes_(probes) {}

    [[nodiscard]] bool operator()(const trippers::CallContext& context) const override {
        if (context.state == State::closed) {
            return context.consecutive_failures > 0;
        }
        return context.metric.failure_count > 0 || context.metric.total_count < probes_;
    }

private:
    std::int64_t probes_;
};

/// Collects signals. Thread-safe.
class SignalLog {
public:
    void add(const Signal& signal) {
        const std::lock_guard lock(mutex_);
        signals_.push_back(signal);
    }

    [[nodiscard]] std::vector<std::string> transitions() const {
        const std::lock_guard lock(mutex_);
        std::vector<std::string> result;
        for (const Signal& signal : signals_) {
            result.push_back(std::string(to_string(signal.old_state)) + " -> " +
                             std::string(to_string(signal.new_state)));
        }
        return result;
    }

    [[nodiscard]] std::vector<Signal> signals() const {
        const std::lock_guard lock(mutex_);
        return signals_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<Signal> signals_;
};

/// Replaces the error handler for one scope and keeps the messages. Thread-safe.
class CapturedErrors {
public:
    CapturedErrors()
        : previous_(set_error_handler([this](std::string_view message) {
              const std::lock_guard lock(mutex_);
              messages_.emplace_back(message);
          })) {}
    CapturedErrors(const CapturedErrors&) = delete;
    CapturedErrors& operator=(const CapturedErrors&) = delete;
    ~CapturedErrors() { set_error_handler(previous_); }

    [[nodiscard]] std::vector<std::string> messages() const {
        const std::lock_guard lock(mutex_);
        return messages_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> messages_;
    ErrorHandler previous_;
};

}  // namespace fluxgate::testing
