// The state machine shared by every breaker front end.
//
// Locking:
// - `mutex_` guards the window, the counters and every transition. Only the
//   window, the tripper and plain bookkeeping run under it; the tracker, the
//   retry, the permit, listeners and the protected call never do.
// - `word_` (generation and state), `changed_at_ticks_` and `reopens_` are
//   written under `mutex_` and read without it, so CLOSED, DISABLED and
//   METRICS_ONLY admissions and OPEN rejections take no lock. A decision made
//   on a stale read is confirmed under `mutex_` before it changes anything.
// - `delivery_mutex_` orders listener calls. It is never held while taking
//   `mutex_`, and neither mutex is held while a listener or the slot
//   observer runs, so both may call back into the breaker.
// - Signals are delivered in transition order: a thread whose signal is not
//   next waits in `deliver` until it is. A transition made by a thread that
//   is already delivering this breaker's signals (a listener calling back,
//   directly or through another breaker's listener) is queued instead, and
//   delivered after the signal before it.
//   NOTE: listeners of two breakers that make transitions on each other from
//   two threads at once can still deadlock, each thread waiting for a signal
//   that the other one is delivering.
// - The Clang build checks these rules: the guarded fields and the functions
//   that need or must not hold each mutex carry thread-safety annotations.
//
// Every transition increments the generation. An admitted call carries the
// generation it was admitted in, and its outcome is recorded only if the
// generation is unchanged when it finishes. So a call that straddles a
// transition never lands in the new window, even after a round trip back to
// the same state.

#include <fluxgate/detail/state_machine.hpp>

#include <exception>
#include <string>
#include <utility>

#include <fluxgate/detail/validate.hpp>
#include <fluxgate/errors.hpp>

namespace fluxgate::detail {

namespace {

// Null components can only come from a `std::shared_ptr` the caller passed in.
template <class T>
std::shared_ptr<const T> require(std::shared_ptr<const T> component, std::string_view field) {
    if (!component) {
        throw_invalid("Options", field, "a component", "a null pointer");
    }
    return component;
}

// The breakers whose signals the current thread is delivering, innermost
// first. A listener of one breaker may call another breaker whose listener
// calls back into the first, so one "current breaker" is not enough. A
// transition of any breaker in this chain is queued, because waiting for
// its turn would wait on this very thread.
struct DeliveryFrame {
    const StateMachine* machine;
    const DeliveryFrame* outer;
};

thread_local const DeliveryFrame* t_delivery_frames = nullptr;

bool delivering_on_this_thread(const StateMachine* machine) noexcept {
    for (const DeliveryFrame* frame = t_delivery_frames; frame != nullptr; frame = frame->outer) {
        if (frame->machine == machine) {
            return true;
        }
    }
    return false;
}

// Marks the current thread as delivering the signals of `machine` for the
// scope's lifetime, also when the scope is left by an exception.
class DeliveryScope {
public:
    explicit DeliveryScope(const StateMachine* machine) noexcept : frame_{machine, t_delivery_frames} {
        t_delivery_frames = &frame_;
    }
    DeliveryScope(const DeliveryScope&) = delete;
    DeliveryScope& operator=(const DeliveryScope&) = delete;
    ~DeliveryScope() { t_delivery_frames = frame_.outer; }

private:
    DeliveryFrame frame_;
};

}  // namespace

StateMachine::StateMachine(Options options)
    : name_(std::move(options.name)),
      clock_(std::move(options.clock)),
      tracker_(require(options.tracker.shared(), "tracker")),
      tripper_(require(options.tripper.shared(), "tripper")),
      retry_(require(options.retry.shared(), "retry")),
      permit_(require(options.permit.shared(), "permit")),
      max_half_open_calls_(options.max_half_open_calls),
      listeners_(std::move(options.listeners)),
      word_(encode(0, State::closed)),
      changed_at_ticks_(0),
      window_(options.window.release()) {
    if (!window_) {
        throw_invalid("Options", "window", "a component", "a null pointer");
    }
    if (!clock_) {
        throw_invalid("Options", "clock", "a clock", "a null pointer");
    }
    check_at_least("Options", "max_half_open_calls", max_half_open_calls_, 1);
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        if (!listeners_[i]) {
            throw_invalid("Options", "listeners", "callables", "an empty function at index " + std::to_string(i));
        }
    }
    slow_thresholds_ = trippers::slow_thresholds(*tripper_);
    changed_at_ticks_.store(clock_->now().time_since_epoch().count(), std::memory_order_relaxed);
    changed_at_wall_ = clock_->wall_now();
}

Admission StateMachine::admit(WhenFull when_full) noexcept {
    Admission admission;
    for (;;) {
        const std::uint64_t word = word_.load(std::memory_order_acquire);
        const State state = decode_state(word);

        if (state == State::closed || state == State::metrics_only) {
            admission.ticket = Ticket{decode_generation(word), state, false, clock_->now()};
            return admission;
        }
        if (state == State::disabled) {
            // Nothing is recorded, so the call needs no start time.
            admission.ticket = Ticket{decode_generation(word), state, false, TimePoint{}};
            return admission;
        }
        if (state == State::forced_open) {
            admission.rejection = Rejection::forced_open;
            break;
        }

        if (state == State::open) {
            // The retry decides on the coarse clock, which lags `now()` by at
            // most a tick: a probe may start that much late but never early,
            // and a rejection costs no precise clock read.
            const auto decision = open_allows_probe(word, clock_->coarse_now());
            if (!decision) {
                continue;  // The circuit moved on while the period was read: decide again.
            }
            if (!*decision) {
                admission.rejection = Rejection::open;
                break;
            }
            const TimePoint now = clock_->now();
            std::optional<PendingSignal> signal;
            {
                AdaptiveLock lock(mutex_);
                if (word_.load(std::memory_order_relaxed) == word) {
                    signal = transition_locked(State::half_open, now);
                }
            }
            if (signal) {
                deliver(*signal);
                notify_slot_observer();
            }
            // HALF_OPEN now, by this thread or another: handle the call as a HALF_OPEN call.
            continue;
        }

        // HALF_OPEN.
        if (auto decided = admit_half_open(word, clock_->now())) {
            admission = *decided;
            break;
        }
        // The circuit moved on before a slot was taken: decide again.
    }

    // A HALF_OPEN admission leaves the loop too; only rejections are counted,
    // and a call that will wait for a slot is not rejected yet.
    const bool counted = admission.rejection != Rejection::half_open_full || when_full == WhenFull::reject;
    if (!admission.admitted() && counted) {
        rejected_calls_.fetch_add(1, std::memory_order_relaxed);
    }
    return admission;
}

// Reads the OPEN period's start and reopens, confirms that `word` is still
// current so that the retry gets one consistent period, and asks the retry.
// Returns nothing if the word changed meanwhile.
std::optional<bool> StateMachine::open_allows_probe(std::uint64_t word, TimePoint now) const noexcept {
    const TimePoint changed_at(Duration(changed_at_ticks_.load(std::memory_order_acquire)));
    const int reopens = reopens_.load(std::memory_order_acquire);
    if (word_.load(std::memory_order_acquire) != word) {
        return std::nullopt;
    }
    return ask_retry(changed_at, reopens, now);
}

bool StateMachine::ask_retry(TimePoint changed_at, int reopens, TimePoint now) const noexcept {
    try {
        return (*retry_)(changed_at, reopens, now);
    } catch (const std::exception& error) {
        report_error("fluxgate: retry of circuit breaker '" + name_ + "' threw, call rejected: " + error.what());
    } catch (...) {
        report_error("fluxgate: retry of circuit breaker '" + name_ +
                     "' threw a non-standard exception, call rejected");
    }
    return false;
}

// Takes a HALF_OPEN slot if the permit agrees and one is free. Returns
// nothing when the circuit left the generation in `word` first.
std::optional<Admission> StateMachine::admit_half_open(std::uint64_t word, TimePoint now) noexcept {
    Admission admission;
    const TimePoint changed_at(Duration(changed_at_ticks_.load(std::memory_order_acquire)));
    bool permitted = false;
    try {
        permitted = (*permit_)(changed_at, now);
    } catch (const std::exception& error) {
        report_error("fluxgate: permit of circuit breaker '" + name_ + "' threw, call rejected: " + error.what());
    } catch (...) {
        report_error("fluxgate: permit of circuit breaker '" + name_ +
                     "' threw a non-standard exception, call rejected");
    }
    if (!permitted) {
        admission.rejection = Rejection::permit_denied;
        return admission;
    }

    AdaptiveLock lock(mutex_);
    if (word_.load(std::memory_order_relaxed) != word) {
        return std::nullopt;
    }
    if (half_open_in_flight_ >= max_half_open_calls_) {
        admission.rejection = Rejection::half_open_full;
        return admission;
    }
    ++half_open_in_flight_;
    admission.ticket = Ticket{decode_generation(word), State::half_open, true, now};
    return admission;
}

void StateMachine::complete(const Ticket& ticket, bool success) noexcept {
    if (ticket.state == State::disabled) {
        return;
    }
    const TimePoint end = clock_->now();
    record(ticket, success, end - ticket.start, end);
}

void StateMachine::complete(const Ticket& ticket, bool success, Duration duration) noexcept {
    if (ticket.state == State::disabled) {
        return;
    }
    record(ticket, success, duration, clock_->now());
}

void StateMachine::record(const Ticket& ticket, bool success, Duration duration, TimePoint end) noexcept {
    Record entry{success, duration, {}, end};
    for (Duration threshold : slow_thresholds_) {
        if (duration < threshold) {
            break;  // thresholds are sorted, so no later one is reached either
        }
        entry.slow_at.insert(threshold);
    }

    std::optional<PendingSignal> signal;
    // How recording failed, reported once the lock is released, because the
    // error handler is user code that may call back into the breaker.
    std::optional<std::string> failure;
    {
        AdaptiveLock lock(mutex_);
        ++(success ? successful_calls_ : failed_calls_);
        const std::uint64_t word = word_.load(std::memory_order_relaxed);
        if (decode_generation(word) != ticket.generation) {
            ++stale_calls_;
            return;
        }
        const State state = decode_state(word);
        if (ticket.holds_slot) {
            --half_open_in_flight_;
        }
        try {
            window_->record(entry);
            consecutive_failures_ = success ? 0 : consecutive_failures_ + 1;
            if (state == State::closed || state == State::half_open) {
                const trippers::CallContext context{window_->get_metric(end), state, consecutive_failures_};
                const bool trip = (*tripper_)(context);
                if (state == State::closed && trip) {
                    signal = transition_locked(State::open, end);
                } else if (state == State::half_open && success && !trip) {
                    signal = transition_locked(State::closed, end);
                } else if (state == State::half_open && !success && trip) {
                    signal = transition_locked(State::open, end);
                }
            }
        } catch (const std::exception& error) {
            failure = std::string(": ") + error.what();
        } catch (...) {
            failure = " with a non-standard exception";
        }
    }
    if (failure) {
        report_error("fluxgate: recording a call in circuit breaker '" + name_ + "' failed" + *failure);
    }
    if (signal) {
        deliver(*signal);
    }
    if (signal || ticket.holds_slot) {
        notify_slot_observer();
    }
}

void StateMachine::release(const Ticket& ticket, bool ignored) noexcept {
    if (ignored) {
        ignored_calls_.fetch_add(1, std::memory_order_relaxed);
    }
    if (!ticket.holds_slot) {
        return;
    }
    {
        AdaptiveLock lock(mutex_);
        if (decode_generation(word_.load(std::memory_order_relaxed)) == ticket.generation) {
            --half_open_in_flight_;
        }
    }
    notify_slot_observer();
}

void StateMachine::transition_manually(State target) noexcept {
    std::optional<PendingSignal> signal;
    {
        AdaptiveLock lock(mutex_);
        signal = transition_locked(target, clock_->now());
    }
    deliver(*signal);
    notify_slot_observer();
}

StateMachine::PendingSignal StateMachine::transition_locked(State target, TimePoint now) {
    const std::uint64_t word = word_.load(std::memory_order_relaxed);
    const State from = decode_state(word);
    const WallTime wall = clock_->wall_now();

    window_->reset();
    half_open_in_flight_ = 0;
    if (target == State::closed) {
        reopens_.store(0, std::memory_order_relaxed);
        consecutive_failures_ = 0;
    } else if (target == State::half_open) {
        consecutive_failures_ = 0;
    } else if (target == State::open && from == State::half_open) {
        reopens_.store(reopens_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    changed_at_ticks_.store(now.time_since_epoch().count(), std::memory_order_relaxed);
    changed_at_wall_ = wall;
    // The release store publishes the fields above to lock-free readers of the word.
    word_.store(encode(decode_generation(word) + 1, target), std::memory_order_release);
    return PendingSignal{++transition_sequence_, Signal{from, target, wall}};
}

Info StateMachine::info() const {
    const TimePoint now = clock_->now();
    AdaptiveLock lock(mutex_);
    Info result;
    result.state = decode_state(word_.load(std::memory_order_relaxed));
    result.changed_at = changed_at_wall_;
    result.reopens = reopens_.load(std::memory_order_relaxed);
    result.metrics = window_->get_metric(now);
    result.calls.successful = successful_calls_;
    result.calls.failed = failed_calls_;
    result.calls.rejected = rejected_calls_.load(std::memory_order_relaxed);
    result.calls.ignored = ignored_calls_.load(std::memory_order_relaxed);
    result.calls.stale = stale_calls_;
    return result;
}

// Runs the listeners for `pending` once every earlier signal has been
// delivered. A signal raised by a listener of this breaker on this thread
// is queued and delivered by whichever thread finishes the signal before it.
void StateMachine::deliver(const PendingSignal& pending) noexcept {
    if (listeners_.empty()) {
        return;
    }
    try {
        MutexLock lock(delivery_mutex_);
        if (delivering_on_this_thread(this)) {
            nested_signals_.push_back(pending);
            return;
        }
        while (delivered_sequence_ + 1 != pending.sequence) {
            lock.wait(delivery_done_);
        }

        const DeliveryScope scope(this);
        PendingSignal current = pending;
        for (;;) {
            lock.unlock();
            run_listeners(current.signal);
            lock.lock();
            delivered_sequence_ = current.sequence;
            if (nested_signals_.empty() || nested_signals_.front().sequence != delivered_sequence_ + 1) {
                break;
            }
            current = nested_signals_.front();
            nested_signals_.pop_front();
        }
        lock.unlock();
        delivery_done_.notify_all();
    } catch (const std::exception& error) {
        report_error("fluxgate: delivering a signal of circuit breaker '" + name_ + "' failed: " + error.what());
    }
}

void StateMachine::run_listeners(const Signal& signal) noexcept {
    for (std::size_t i = 0; i < listeners_.size(); ++i) {
        try {
            listeners_[i](signal);
        } catch (const std::exception& error) {
            report_error("fluxgate: listener " + std::to_string(i) + " of circuit breaker '" + name_ +
                         "' threw on " + std::string(to_string(signal.old_state)) + " -> " +
                         std::string(to_string(signal.new_state)) + ": " + error.what());
        } catch (...) {
            report_error("fluxgate: listener " + std::to_string(i) + " of circuit breaker '" + name_ +
                         "' threw a non-standard exception on " + std::string(to_string(signal.old_state)) +
                         " -> " + std::string(to_string(signal.new_state)));
        }
    }
}

}  // namespace fluxgate::detail
