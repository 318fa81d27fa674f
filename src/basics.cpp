// Clocks, state names, the rejection error and the error handler.

#include <fluxgate/clock.hpp>
#include <fluxgate/errors.hpp>
#include <fluxgate/state.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <ostream>
#include <string>
#include <utility>

namespace fluxgate {

TimePoint SystemClock::coarse_now() const noexcept {
#if defined(__linux__) && defined(CLOCK_MONOTONIC_COARSE)
    // libstdc++ and libc++ read CLOCK_MONOTONIC for steady_clock on Linux,
    // and the coarse clock is the same clock at the last tick.
    timespec time{};
    if (clock_gettime(CLOCK_MONOTONIC_COARSE, &time) == 0) {
        return TimePoint(std::chrono::seconds(time.tv_sec) + std::chrono::nanoseconds(time.tv_nsec));
    }
#endif
    return now();
}

std::shared_ptr<Clock> system_clock() {
    static const std::shared_ptr<Clock> clock = std::make_shared<SystemClock>();
    return clock;
}

std::ostream& operator<<(std::ostream& out, State state) { return out << to_string(state); }

namespace {

std::string rejection_message(std::string_view breaker_name, State state) {
    std::string message = "circuit breaker '";
    message.append(breaker_name);
    message.append("' is ");
    message.append(to_string(state));
    return message;
}

}  // namespace

CallNotPermittedError::CallNotPermittedError(std::string_view breaker_name, State state)
    : std::runtime_error(rejection_message(breaker_name, state)), state_(state) {}

namespace {

// Writes to standard error, at most `kLinesPerSecond` lines per second. The
// first line after a suppressed burst reports how many lines were dropped.
class DefaultErrorHandler {
public:
    void operator()(std::string_view message) {
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard lock(mutex_);
        if (now - window_start_ >= std::chrono::seconds(1)) {
            if (suppressed_ > 0) {
                std::fprintf(stderr, "fluxgate: %lld error messages suppressed\n",
                             static_cast<long long>(suppressed_));
            }
            window_start_ = now;
            lines_in_window_ = 0;
            suppressed_ = 0;
        }
        if (lines_in_window_ >= kLinesPerSecond) {
            ++suppressed_;
            return;
        }
        ++lines_in_window_;
        std::fprintf(stderr, "%.*s\n", static_cast<int>(message.size()), message.data());
    }

private:
    static constexpr int kLinesPerSecond = 10;

    std::mutex mutex_;
    std::chrono::steady_clock::time_point window_start_{};
    int lines_in_window_ = 0;
    long long suppressed_ = 0;
};

struct HandlerSlot {
    std::mutex mutex;
    std::shared_ptr<const ErrorHandler> handler;
};

HandlerSlot& handler_slot() {
    static HandlerSlot slot;
    return slot;
}

void default_handler(std::string_view message) {
    static DefaultErrorHandler handler;
    handler(message);
}

}  // namespace

ErrorHandler set_error_handler(ErrorHandler handler) {
    auto replacement = handler ? std::make_shared<const ErrorHandler>(std::move(handler)) : nullptr;
    HandlerSlot& slot = handler_slot();
    std::lock_guard lock(slot.mutex);
    auto previous = std::exchange(slot.handler, std::move(replacement));
    return previous ? *previous : ErrorHandler{};
}

void report_error(std::string_view message) noexcept {
    try {
        std::shared_ptr<const ErrorHandler> handler;
        {
            HandlerSlot& slot = handler_slot();
            std::lock_guard lock(slot.mutex);
            handler = slot.handler;
        }
        if (handler) {
            (*handler)(message);
        } else {
            default_handler(message);
        }
    } catch (...) {
        // An error handler must not throw, and there is nowhere left to report it.
    }
}

}  // namespace fluxgate
