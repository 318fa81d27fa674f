// The coroutine layer over the shared state machine.
//
// Waiting for a HALF_OPEN slot: a call that finds every slot taken parks its
// completion handler in `slot_waiters_`. The state machine's slot observer
// (`wake_slot_waiter`) runs after a slot is freed and after every
// transition, and resumes the oldest parked call, which tries again. A woken
// call that does not park again passes the wake-up on to the next parked
// call. It does not park again when it was admitted (possibly as a CLOSED
// call) or rejected. So a transition that frees many slots reaches every
// waiter, one after the other. `slot_epoch_` closes the window between a call seeing the circuit
// full and parking: a call parks only if no notification came in between.
//
// Async listeners: the state machine's synchronous listeners end with
// `enqueue`, which queues each signal in transition order. The coroutine
// whose call queued a signal while no delivery was running starts one
// (`drain`, a detached coroutine that nobody can cancel) and awaits it; a
// signal queued during a delivery, for example by a listener that calls back
// into the breaker, is delivered by that same drain after the current one.
//
// Locking: `slot_mutex_` and `delivery_mutex_` are never held together, never
// held while calling into the state machine, and never held while a handler
// or a listener runs.

#include <fluxgate/detail/async_core.hpp>

#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/error.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <string>
#include <type_traits>

#include <fluxgate/detail/validate.hpp>
#include <fluxgate/errors.hpp>

namespace fluxgate::detail {

namespace {

// Collects, for one synchronous call into the state machine on this thread,
// the signal whose delivery that call must start and await.
class SignalScope {
public:
    explicit SignalScope(const AsyncCore& core) noexcept : core_(&core), previous_(current) { current = this; }
    SignalScope(const SignalScope&) = delete;
    SignalScope& operator=(const SignalScope&) = delete;
    ~SignalScope() { current = previous_; }

    [[nodiscard]] const AsyncCore* core() const noexcept { return core_; }
    [[nodiscard]] Delivery delivery() const noexcept { return delivery_; }
    void set_delivery(std::uint64_t sequence) noexcept { delivery_.sequence = sequence; }

    // The state machine runs listeners in the thread whose call caused the
    // transition, so the scope of that call is the innermost one on this thread.
    static thread_local SignalScope* current;

private:
    const AsyncCore* core_;
    SignalScope* previous_;
    Delivery delivery_;
};

thread_local SignalScope* SignalScope::current = nullptr;

template <class Handler>
class ParkedHandlerOf final : public ParkedHandler {
public:
    explicit ParkedHandlerOf(Handler handler)
        : work_(asio::make_work_guard(asio::get_associated_executor(handler))), handler_(std::move(handler)) {}

    void resume(std::error_code error, bool woken) override {
        if constexpr (std::is_invocable_v<Handler, std::error_code, bool>) {
            asio::post(work_.get_executor(), [handler = std::move(handler_), error, woken]() mutable {
                std::move(handler)(error, woken);
            });
        } else {
            asio::post(work_.get_executor(),
                       [handler = std::move(handler_), error]() mutable { std::move(handler)(error); });
        }
        work_.reset();
    }

private:
    // Keeps the handler's executor from running out of work while the call is parked.
    asio::executor_work_guard<asio::associated_executor_t<Handler>> work_;
    Handler handler_;
};

template <class Handler>
std::unique_ptr<ParkedHandler> park(Handler handler) {
    return std::make_unique<ParkedHandlerOf<Handler>>(std::move(handler));
}

void resume_or_report(ParkedHandler& handler, std::error_code error, bool woken) noexcept {
    try {
        handler.resume(error, woken);
    } catch (const std::exception& failure) {
        report_error(std::string("fluxgate: resuming a waiting coroutine failed: ") + failure.what());
    }
}

std::vector<AsyncListenerFunction> checked(std::vector<AsyncListenerFunction> listeners) {
    for (std::size_t i = 0; i < listeners.size(); ++i) {
        if (!listeners[i]) {
            throw_invalid("AsyncCircuitBreaker", "async_listeners", "callables",
                          "an empty function at index " + std::to_string(i));
        }
    }
    return listeners;
}

// Releases an admitted call unless dismissed, for a wait that throws.
class ReleaseOnExit {
public:
    ReleaseOnExit(StateMachine& machine, const Admission& admission) noexcept
        : machine_(machine), admission_(admission) {}
    ReleaseOnExit(const ReleaseOnExit&) = delete;
    ReleaseOnExit& operator=(const ReleaseOnExit&) = delete;
    ~ReleaseOnExit() {
        if (admission_.admitted() && !dismissed_) {
            machine_.release(admission_.ticket, false);
        }
    }

    void dismiss() noexcept { dismissed_ = true; }

private:
    StateMachine& machine_;
    const Admission& admission_;
    bool dismissed_ = false;
};

}  // namespace

// Removes a parked call from the queue when its coroutine is cancelled. It
// refers to the waiter through a weak pointer, so that the handler it lives
// in does not keep itself alive.
struct SlotWaitCancellation {
    SlotWaitCancellation(AsyncCore* core, std::weak_ptr<SlotWaiter> waiter) noexcept
        : core_(core), waiter_(std::move(waiter)) {}

    void operator()(asio::cancellation_type type) const noexcept {
        constexpr asio::cancellation_type supported =
            asio::cancellation_type::terminal | asio::cancellation_type::partial | asio::cancellation_type::total;
        if ((type & supported) != asio::cancellation_type::none) {
            core_->cancel_slot_wait(waiter_);
        }
    }

    AsyncCore* core_;
    std::weak_ptr<SlotWaiter> waiter_;
};

AsyncCore::AsyncCore(Options options, std::vector<AsyncListenerFunction> async_listeners)
    : async_listeners_(checked(std::move(async_listeners))), machine_(with_delivery_listener(std::move(options))) {
    machine_.set_slot_observer([this] { wake_slot_waiter(); });
}

Options AsyncCore::with_delivery_listener(Options options) {
    if (!async_listeners_.empty()) {
        options.listeners.emplace_back([this](const Signal& signal) { enqueue(signal); });
    }
    return options;
}

asio::awaitable<Admission> AsyncCore::acquire() {
    bool woken = false;
    for (;;) {
        const std::uint64_t epoch = slot_epoch_.load(std::memory_order_acquire);
        Admission admission;
        Delivery delivery;
        {
            SignalScope scope(*this);
            admission = machine_.admit(WhenFull::wait);
            delivery = scope.delivery();
        }
        const bool full = admission.rejection == Rejection::half_open_full;
        if (woken && !full) {
            wake_slot_waiter();  // this call stops waiting, so the next parked call gets the wake-up
        }

        if (delivery) {
            ReleaseOnExit release(machine_, admission);
            const asio::any_io_executor executor = co_await asio::this_coro::executor;
            co_await deliver(delivery, executor);
            release.dismiss();
        }
        if (!full) {
            co_return admission;
        }
        woken = co_await wait_for_slot(epoch, woken);
    }
}

Delivery AsyncCore::complete(const Ticket& ticket, bool success) noexcept {
    const SignalScope scope(*this);
    machine_.complete(ticket, success);
    return scope.delivery();
}

asio::awaitable<void> AsyncCore::transition(State target) {
    Delivery delivery;
    {
        const SignalScope scope(*this);
        machine_.transition_manually(target);
        delivery = scope.delivery();
    }
    if (delivery) {
        const asio::any_io_executor executor = co_await asio::this_coro::executor;
        co_await deliver(delivery, executor);
    }
}

ErrorKind AsyncCore::classify(const std::exception_ptr& error, bool cancelled) const {
    if (cancelled) {
        return ErrorKind::cancellation;
    }
    try {
        std::rethrow_exception(error);
    } catch (const std::system_error& thrown) {
        if (thrown.code() == std::error_code(asio::error::operation_aborted)) {
            return ErrorKind::cancellation;
        }
        return machine_.is_failure(thrown) ? ErrorKind::failure : ErrorKind::ignored;
    } catch (const std::exception& thrown) {
        return machine_.is_failure(thrown) ? ErrorKind::failure : ErrorKind::ignored;
    } catch (...) {
        return ErrorKind::ignored;
    }
}

// Waiting for a HALF_OPEN slot.

asio::awaitable<bool> AsyncCore::wait_for_slot(std::uint64_t epoch, bool first_in_line) {
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::error_code, bool)>(
        [this, epoch, first_in_line](auto handler) { park_for_slot(std::move(handler), epoch, first_in_line); },
        asio::use_awaitable);
}

// Parks `handler` unless a notification came after `epoch` was read, in
// which case it resumes at once with `woken == false` to ask again. The
// cancellation handler is installed under the lock, so that neither a
// wake-up nor a cancellation can reach the call before it is fully parked.
template <class Handler>
void AsyncCore::park_for_slot(Handler handler, std::uint64_t epoch, bool first_in_line) {
    auto slot = asio::get_associated_cancellation_slot(handler);
    auto waiter = std::make_shared<SlotWaiter>();
    waiter->handler = park(std::move(handler));
    {
        const std::lock_guard lock(slot_mutex_);
        if (slot_epoch_.load(std::memory_order_relaxed) == epoch) {
            waiter->position = slot_waiters_.insert(first_in_line ? slot_waiters_.begin() : slot_waiters_.end(), waiter);
            waiter->queued = true;
            if (slot.is_connected()) {
                slot.template emplace<SlotWaitCancellation>(this, waiter);
            }
            return;
        }
    }
    waiter->handler->resume({}, false);
}

void AsyncCore::wake_slot_waiter() noexcept {
    std::shared_ptr<SlotWaiter> next;
    {
        const std::lock_guard lock(slot_mutex_);
        slot_epoch_.fetch_add(1, std::memory_order_release);
        if (slot_waiters_.empty()) {
            return;
        }
        next = std::move(slot_waiters_.front());
        slot_waiters_.pop_front();
        next->queued = false;
    }
    resume_or_report(*next->handler, {}, true);
}

void AsyncCore::cancel_slot_wait(const std::weak_ptr<SlotWaiter>& waiter) noexcept {
    const std::shared_ptr<SlotWaiter> parked = waiter.lock();
    if (!parked) {
        return;
    }
    {
        const std::lock_guard lock(slot_mutex_);
        if (!parked->queued) {
            return;  // already woken: the call tries again, and its next co_await sees the cancellation
        }
        slot_waiters_.erase(parked->position);
        parked->queued = false;
    }
    resume_or_report(*parked->handler, asio::error::operation_aborted, false);
}

// Delivering signals to async listeners.

void AsyncCore::enqueue(const Signal& signal) {
    const std::lock_guard lock(delivery_mutex_);
    const std::uint64_t sequence = ++queued_sequence_;
    queued_signals_.push_back(QueuedSignal{sequence, signal});

    SignalScope* scope = SignalScope::current;
    if (scope == nullptr || scope->core() != this) {
        return;  // no caller to start a delivery: the next delivery picks the signal up
    }
    if (!delivering_) {
        delivering_ = true;
        scope->set_delivery(sequence);
    } else if (scope->delivery()) {
        scope->set_delivery(sequence);
    }
}

asio::awaitable<void> AsyncCore::deliver(Delivery delivery, const asio::any_io_executor& executor) {
    try {
        asio::co_spawn(executor, drain(), asio::detached);
    } catch (...) {
        // Leave the queue to the next delivery rather than stall every later one.
        const std::lock_guard lock(delivery_mutex_);
        delivering_ = false;
        throw;
    }
    return asio::async_initiate<const asio::use_awaitable_t<>&, void(std::error_code)>(
        [this, sequence = delivery.sequence](auto handler) {
            std::unique_ptr<ParkedHandler> parked = park(std::move(handler));
            {
                const std::lock_guard lock(delivery_mutex_);
                if (delivered_sequence_ < sequence) {
                    delivery_waiters_.push_back(DeliveryWaiter{sequence, std::move(parked)});
                    return;
                }
            }
            parked->resume({}, true);
        },
        asio::use_awaitable);
}

asio::awaitable<void> AsyncCore::drain() {
    for (;;) {
        QueuedSignal next;
        {
            const std::lock_guard lock(delivery_mutex_);
            if (queued_signals_.empty()) {
                delivering_ = false;
                break;
            }
            next = queued_signals_.front();
            queued_signals_.pop_front();
        }

        for (std::size_t i = 0; i < async_listeners_.size(); ++i) {
            try {
                co_await async_listeners_[i](next.signal);
            } catch (const std::exception& error) {
                report_listener_error(i, next.signal, error.what());
            } catch (...) {
                report_listener_error(i, next.signal, nullptr);
            }
        }

        std::vector<std::unique_ptr<ParkedHandler>> delivered;
        {
            const std::lock_guard lock(delivery_mutex_);
            delivered_sequence_ = next.sequence;
            std::erase_if(delivery_waiters_, [&](DeliveryWaiter& waiter) {
                if (waiter.sequence > delivered_sequence_) {
                    return false;
                }
                delivered.push_back(std::move(waiter.handler));
                return true;
            });
        }
        for (const auto& handler : delivered) {
            resume_or_report(*handler, {}, true);
        }
    }
}

void AsyncCore::report_listener_error(std::size_t index, const Signal& signal, const char* what) const noexcept {
    try {
        std::string message = "fluxgate: async listener " + std::to_string(index) + " of circuit breaker '" +
                              machine_.name() + "' threw " + (what == nullptr ? "a non-standard exception " : "") +
                              "on " + std::string(to_string(signal.old_state)) + " -> " +
                              std::string(to_string(signal.new_state));
        if (what != nullptr) {
            message.append(": ").append(what);
        }
        report_error(message);
    } catch (...) {
        report_error("fluxgate: an async listener threw and formatting its message failed");
    }
}

}  // namespace fluxgate::detail
