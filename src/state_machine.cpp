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
//
// Every transition increments the generation. An admitted call carries the
// generation it was admitted in, and its outcome is recorded only if the
// generation is unchanged when it finishes, so a call that straddles a
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

// The breaker that the current thread is delivering signals for, so that a
// transition made from inside a listener is queued instead of waiting on itself.
thread_local const StateMachine* t_delivering = nullptr;

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

        if (state == State::closed || state == State::metrics_only || state == State::disabled) {
            admission.ticket = Ticket{decode_generation(word), state, false, clock_->now()};
            return admission;
        }
        if (state == State::forced_open) {
            admission.rejection = Rejection::forced_open;
            break;
        }

        const TimePoint now = clock_->now();
        if (state == State::half_open) {
            if (auto decided = admit_half_open(word, now)) {
                admission = *decided;
                break;
            }
            continue;  // The circuit moved on before a slot was taken: decide again.
        }

        // OPEN: read the period's start and reopens, then confirm that the
        // word did not change meanwhile, so the retry sees one consistent period.
        const TimePoint changed_at(Duration(changed_at_ticks_.load(std::memory_order_acquire)));
        const int reopens = reopens_.load(std::memory_order_acquire);
        if (word_.load(std::memory_order_acquire) != word) {
            continue;
        }
        if (!ask_retry(changed_at, reopens, now)) {
            admission.rejection = Rejection::open;
            break;
        }
        std::optional<PendingSignal> signal;
        {
            std::lock_guard lock(mutex_);
            if (word_.load(std::memory_order_relaxed) == word) {
                signal = transition_locked(State::half_open, now);
            }
        }
        if (signal) {
            deliver(*signal);
            notify_slot_observer();
        }
        // HALF_OPEN now, by this thread or another: handle the call as a HALF_OPEN call.
    }

    const bool counted = admission.rejection != Rejection::half_open_full || when_full == WhenFull::reject;
    if (!admission.admitted() && counted) {
        rejected_calls_.fetch_add(1, std::memory_order_relaxed);
    }
    return admission;
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

    std::lock_guard lock(mutex_);
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
    {
        std::lock_guard lock(mutex_);
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
            report_error("fluxgate: recording a call in circuit breaker '" + name_ + "' failed: " + error.what());
        } catch (...) {
            report_error("fluxgate: recording a call in circuit breaker '" + name_ +
                         "' failed with a non-standard exception");
        }
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
        std::lock_guard lock(mutex_);
        if (decode_generation(word_.load(std::memory_order_relaxed)) == ticket.generation) {
            --half_open_in_flight_;
        }
    }
    notify_slot_observer();
}

void StateMachine::transition_manually(State target) noexcept {
    std::optional<PendingSignal> signal;
    {
        std::lock_guard lock(mutex_);
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
    std::lock_guard lock(mutex_);
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
        std::unique_lock lock(delivery_mutex_);
        if (t_delivering == this) {
            nested_signals_.push_back(pending);
            return;
        }
        delivery_done_.wait(lock, [&] { return delivered_sequence_ + 1 == pending.sequence; });

        const StateMachine* previous = std::exchange(t_delivering, this);
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
        t_delivering = previous;
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
