#pragma once

// The non-template part of `AsyncCircuitBreaker`: the shared state machine,
// calls parked until a HALF_OPEN slot may be free, and the ordered delivery
// of signals to async listeners.

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

#include <fluxgate/detail/state_machine.hpp>
#include <fluxgate/options.hpp>
#include <fluxgate/state.hpp>

namespace fluxgate::detail {

/// The type of `listeners::AsyncListener`.
using AsyncListenerFunction = std::function<asio::awaitable<void>(const Signal&)>;

/// A completion handler of `void(std::error_code, bool)` or
/// `void(std::error_code)`, parked until another thread resumes it on its
/// own executor.
class ParkedHandler {
public:
    virtual ~ParkedHandler() = default;

    /// Posts the handler to its executor with `error`, and `woken` if it takes
    /// two arguments. Call at most once.
    virtual void resume(std::error_code error, bool woken) = 0;
};

/// A call parked until a HALF_OPEN slot may be free.
struct SlotWaiter {
    std::unique_ptr<ParkedHandler> handler;
    std::list<std::shared_ptr<SlotWaiter>>::iterator position;
    bool queued = false;  // true while `position` is valid; guarded by the slot mutex
};

/// A signal the caller must have delivered to the async listeners: nonzero
/// when the caller queued it while no delivery was running, so it starts
/// one with `AsyncCore::deliver` and awaits it.
struct Delivery {
    std::uint64_t sequence = 0;

    explicit operator bool() const noexcept { return sequence != 0; }
};

/// Classification of an exception from a protected call.
enum class ErrorKind : std::uint8_t {
    cancellation,  ///< Released without a record, and rethrown.
    failure,       ///< Recorded as a failure.
    ignored,       ///< Released as an untracked outcome.
};

/// The state machine of an `AsyncCircuitBreaker` plus what coroutines need
/// on top of it. Every member may be called concurrently.
///
/// The breaker must outlive every coroutine that uses it: a parked call
/// stores its completion handler here, and a delivery in progress refers to it.
class AsyncCore {
public:
    /// Builds the state machine. Throws `std::invalid_argument` for invalid
    /// options or an empty async listener.
    AsyncCore(Options options, std::vector<AsyncListenerFunction> async_listeners);

    AsyncCore(const AsyncCore&) = delete;
    AsyncCore& operator=(const AsyncCore&) = delete;

    [[nodiscard]] StateMachine& machine() noexcept { return machine_; }
    [[nodiscard]] const StateMachine& machine() const noexcept { return machine_; }

    /// Admits a call, waiting for a HALF_OPEN slot without blocking a thread
    /// and asking again once it may be free. Returns the admission, which is
    /// a rejection other than `half_open_full` when the call is not admitted.
    ///
    /// Throws `std::system_error` with `asio::error::operation_aborted` when
    /// the awaiting coroutine is cancelled; nothing is held then.
    [[nodiscard]] asio::awaitable<Admission> acquire();

    /// Records an outcome, as `StateMachine::complete` does.
    [[nodiscard]] Delivery complete(const Ticket& ticket, bool success) noexcept;

    /// Moves to `target`, as `StateMachine::transition_manually` does, and
    /// awaits the async listeners.
    [[nodiscard]] asio::awaitable<void> transition(State target);

    /// Starts delivering queued signals on `executor` and returns an
    /// awaitable that completes once `delivery` has been delivered.
    ///
    /// Not a coroutine, so the delivery starts even when the caller is
    /// cancelled before it awaits the result. Cancelling the caller never
    /// interrupts a delivery.
    [[nodiscard]] asio::awaitable<void> deliver(Delivery delivery, const asio::any_io_executor& executor);

    /// Classifies an exception from a protected call. `cancelled` is true
    /// when the awaiting coroutine's cancellation state was cancelled.
    /// Exceptions from a user tracker propagate.
    [[nodiscard]] ErrorKind classify(const std::exception_ptr& error, bool cancelled) const;

private:
    struct QueuedSignal {
        std::uint64_t sequence = 0;
        Signal signal{};
    };
    struct DeliveryWaiter {
        std::uint64_t sequence;
        std::unique_ptr<ParkedHandler> handler;
    };
    friend struct SlotWaitCancellation;

    [[nodiscard]] asio::awaitable<bool> wait_for_slot(std::uint64_t epoch, bool first_in_line);
    template <class Handler>
    void park_for_slot(Handler handler, std::uint64_t epoch, bool first_in_line);
    void cancel_slot_wait(const std::weak_ptr<SlotWaiter>& waiter) noexcept;
    void wake_slot_waiter() noexcept;

    [[nodiscard]] Options with_delivery_listener(Options options);
    void enqueue(const Signal& signal);
    [[nodiscard]] asio::awaitable<void> drain();
    // `what` is null for an exception not derived from `std::exception`.
    void report_listener_error(std::size_t index, const Signal& signal, const char* what) const noexcept;

    // Set at construction and never changed.
    std::vector<AsyncListenerFunction> async_listeners_;

    // Calls parked for a HALF_OPEN slot, oldest first. `slot_epoch_` counts
    // the observer's notifications, so a call that saw the circuit full
    // before a notification does not park after it.
    std::mutex slot_mutex_;
    std::atomic<std::uint64_t> slot_epoch_{0};
    std::list<std::shared_ptr<SlotWaiter>> slot_waiters_;

    // Signals waiting for the async listeners, and callers awaiting them;
    // guarded by `delivery_mutex_`. `delivering_` is true while one drain runs.
    std::mutex delivery_mutex_;
    std::deque<QueuedSignal> queued_signals_;
    std::vector<DeliveryWaiter> delivery_waiters_;
    std::uint64_t queued_sequence_ = 0;
    std::uint64_t delivered_sequence_ = 0;
    bool delivering_ = false;

    // Last, so that it is built after and destroyed before what its
    // listener and slot observer use.
    StateMachine machine_;
};

}  // namespace fluxgate::detail
