#pragma once

// The one state machine behind every front end: `CircuitBreaker`, its
// two-step `Permission` API and `AsyncCircuitBreaker`. Front ends time calls
// and classify outcomes; every rule of the model lives here.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fluxgate/clock.hpp>
#include <fluxgate/detail/adaptive_mutex.hpp>
#include <fluxgate/detail/thread_annotations.hpp>
#include <fluxgate/info.hpp>
#include <fluxgate/metric.hpp>
#include <fluxgate/options.hpp>
#include <fluxgate/state.hpp>

namespace fluxgate::detail {

/// An admitted call: which generation of the circuit admitted it, in which
/// state, when it started, and whether it holds a HALF_OPEN slot.
struct Ticket {
    std::uint64_t generation = 0;
    State state = State::closed;
    bool holds_slot = false;
    TimePoint start{};
};

/// The reason a call was not admitted.
enum class Rejection : std::uint8_t {
    none,            ///< The call was admitted.
    open,            ///< OPEN, and the retry does not allow a probe yet.
    forced_open,     ///< FORCED_OPEN.
    permit_denied,   ///< HALF_OPEN, and the permit turned the call away.
    half_open_full,  ///< HALF_OPEN, and `max_half_open_calls` probes are in flight.
};

/// Policy of `StateMachine::admit` for a call that finds every HALF_OPEN slot taken.
enum class WhenFull : std::uint8_t {
    reject,  ///< Counts the call as rejected.
    wait,    ///< Does not count it, because the caller waits for a slot and asks again.
};

/// The result of `StateMachine::admit`.
struct Admission {
    Rejection rejection = Rejection::none;
    Ticket ticket;

    [[nodiscard]] bool admitted() const noexcept { return rejection == Rejection::none; }

    /// The state that rejected the call; meaningful only when not admitted.
    [[nodiscard]] State rejected_by() const noexcept {
        switch (rejection) {
            case Rejection::forced_open: return State::forced_open;
            case Rejection::permit_denied:
            case Rejection::half_open_full: return State::half_open;
            default: return State::open;
        }
    }
};

class StateMachine {
public:
    /// Validates `options` and takes them over.
    /// Throws `std::invalid_argument` naming the invalid field.
    explicit StateMachine(Options options);

    StateMachine(const StateMachine&) = delete;
    StateMachine& operator=(const StateMachine&) = delete;

    /// Decides whether a call may run now. May move OPEN to HALF_OPEN, in
    /// which case the listeners run before it returns. Never throws.
    [[nodiscard]] Admission admit(WhenFull when_full = WhenFull::reject) noexcept
        FLUXGATE_EXCLUDES(mutex_, delivery_mutex_);

    /// Records the outcome of an admitted call that finished now, timed from
    /// `ticket.start`. May transition; listeners run before it returns.
    void complete(const Ticket& ticket, bool success) noexcept FLUXGATE_EXCLUDES(mutex_, delivery_mutex_);

    /// Like `complete`, with a duration the caller measured.
    void complete(const Ticket& ticket, bool success, Duration duration) noexcept
        FLUXGATE_EXCLUDES(mutex_, delivery_mutex_);

    /// Drops an admitted call without recording it, freeing its HALF_OPEN
    /// slot; `ignored` counts it as an untracked outcome.
    void release(const Ticket& ticket, bool ignored) noexcept FLUXGATE_EXCLUDES(mutex_);

    /// Moves to `target` unconditionally, as `reset()` and the other manual
    /// controls do, and notifies listeners.
    void transition_manually(State target) noexcept FLUXGATE_EXCLUDES(mutex_, delivery_mutex_);

    /// Registers `observer`, called outside every lock after a HALF_OPEN slot
    /// is freed and after every transition, so that callers waiting for a
    /// slot can ask again. Set it before the machine is shared; the observer
    /// must not throw. Without one, these events cost a test of an empty function.
    void set_slot_observer(std::function<void()> observer) { slot_observer_ = std::move(observer); }

    /// Returns true if the tracker counts `error` as a failure. Exceptions
    /// from a user tracker propagate.
    [[nodiscard]] bool is_failure(const std::exception& error) const { return (*tracker_)(error); }

    [[nodiscard]] State state() const noexcept {
        return decode_state(word_.load(std::memory_order_acquire));
    }

    [[nodiscard]] Info info() const FLUXGATE_EXCLUDES(mutex_);
    [[nodiscard]] const std::string& name() const noexcept { return name_; }
    [[nodiscard]] const Clock& clock() const noexcept { return *clock_; }
    [[nodiscard]] std::int64_t max_half_open_calls() const noexcept { return max_half_open_calls_; }
    [[nodiscard]] const Thresholds& slow_thresholds() const noexcept { return slow_thresholds_; }

private:
    // Size of a cache line on the processors this library targets; a
    // constant rather than std::hardware_destructive_interference_size,
    // whose value GCC warns may differ between compiler versions.
    static constexpr std::size_t kCacheLine = 64;

    struct PendingSignal {
        std::uint64_t sequence;
        Signal signal;
    };

    // The state word packs the generation (bits 8..63) and the state (bits 0..7),
    // so admission reads both with one atomic load and no lock.
    static constexpr std::uint64_t encode(std::uint64_t generation, State state) noexcept {
        return (generation << 8) | static_cast<std::uint64_t>(state);
    }
    static constexpr State decode_state(std::uint64_t word) noexcept { return static_cast<State>(word & 0xff); }
    static constexpr std::uint64_t decode_generation(std::uint64_t word) noexcept { return word >> 8; }

    // User components and listeners run only in functions that exclude both
    // mutexes, so that they may call back into the breaker.
    [[nodiscard]] std::optional<Admission> admit_half_open(std::uint64_t word, TimePoint now) noexcept
        FLUXGATE_EXCLUDES(mutex_);
    [[nodiscard]] std::optional<bool> open_allows_probe(std::uint64_t word, TimePoint now) const noexcept
        FLUXGATE_EXCLUDES(mutex_);
    [[nodiscard]] bool ask_retry(TimePoint changed_at, int reopens, TimePoint now) const noexcept
        FLUXGATE_EXCLUDES(mutex_);
    void record(const Ticket& ticket, bool success, Duration duration, TimePoint end) noexcept
        FLUXGATE_EXCLUDES(mutex_, delivery_mutex_);
    [[nodiscard]] PendingSignal transition_locked(State target, TimePoint now) FLUXGATE_REQUIRES(mutex_);
    void deliver(const PendingSignal& pending) noexcept FLUXGATE_EXCLUDES(mutex_, delivery_mutex_);
    void run_listeners(const Signal& signal) noexcept FLUXGATE_EXCLUDES(mutex_, delivery_mutex_);
    void notify_slot_observer() const noexcept FLUXGATE_EXCLUDES(mutex_) {
        if (slot_observer_) {
            slot_observer_();
        }
    }

    // Set at construction and never changed.
    std::string name_;
    std::shared_ptr<Clock> clock_;
    std::shared_ptr<const trackers::Tracker> tracker_;
    std::shared_ptr<const trippers::Tripper> tripper_;
    std::shared_ptr<const retries::Retry> retry_;
    std::shared_ptr<const permits::Permit> permit_;
    std::int64_t max_half_open_calls_;
    std::vector<listeners::Listener> listeners_;
    Thresholds slow_thresholds_;
    // Set before the machine is shared and never changed afterwards.
    std::function<void()> slot_observer_;

    // Read without the lock on every call; written only while holding
    // `mutex_`, at transitions. They get a cache line of their own, so that
    // the writes of recorded calls never evict them from other cores.
    alignas(kCacheLine) std::atomic<std::uint64_t> word_;
    std::atomic<TimePoint::rep> changed_at_ticks_;
    std::atomic<int> reopens_{0};

    // Written on every rejected or ignored call.
    alignas(kCacheLine) std::atomic<std::int64_t> rejected_calls_{0};
    std::atomic<std::int64_t> ignored_calls_{0};

    // The window, the counters and every transition. The window pointer is
    // set at construction; the window itself is guarded.
    alignas(kCacheLine) mutable AdaptiveMutex mutex_;
    std::unique_ptr<windows::Window> window_ FLUXGATE_PT_GUARDED_BY(mutex_);
    WallTime changed_at_wall_ FLUXGATE_GUARDED_BY(mutex_);
    std::int64_t consecutive_failures_ FLUXGATE_GUARDED_BY(mutex_) = 0;
    std::int64_t half_open_in_flight_ FLUXGATE_GUARDED_BY(mutex_) = 0;
    std::int64_t successful_calls_ FLUXGATE_GUARDED_BY(mutex_) = 0;
    std::int64_t failed_calls_ FLUXGATE_GUARDED_BY(mutex_) = 0;
    std::int64_t stale_calls_ FLUXGATE_GUARDED_BY(mutex_) = 0;
    std::uint64_t transition_sequence_ FLUXGATE_GUARDED_BY(mutex_) = 0;

    // Ordered delivery of signals.
    alignas(kCacheLine) Mutex delivery_mutex_;
    std::condition_variable delivery_done_;
    std::uint64_t delivered_sequence_ FLUXGATE_GUARDED_BY(delivery_mutex_) = 0;
    std::deque<PendingSignal> nested_signals_ FLUXGATE_GUARDED_BY(delivery_mutex_);
};

}  // namespace fluxgate::detail
