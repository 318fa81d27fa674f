#include <fluxgate/listeners.hpp>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <utility>

namespace fluxgate::listeners {

std::string_view to_string(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::debug: return "debug";
        case LogLevel::info: return "info";
        case LogLevel::warning: return "warning";
        case LogLevel::error: return "error";
    }
    return "unknown";
}

LogSink stderr_sink() {
    return [](LogLevel, std::string_view line) {
        // One fprintf per line, so that lines from concurrent breakers do not interleave.
        std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
    };
}

LogListener::LogListener(std::string name, LogSink sink)
    : name_(std::move(name)), sink_(sink ? std::move(sink) : stderr_sink()) {
    levels_.fill(LogLevel::info);
    levels_[static_cast<std::size_t>(State::open)] = LogLevel::warning;
    levels_[static_cast<std::size_t>(State::forced_open)] = LogLevel::warning;
}

LogListener& LogListener::with_level(State state, LogLevel level) & {
    levels_[static_cast<std::size_t>(state)] = level;
    return *this;
}

LogListener&& LogListener::with_level(State state, LogLevel level) && {
    levels_[static_cast<std::size_t>(state)] = level;
    return std::move(*this);
}

namespace {

// Formats `time` in the local time zone as `2026-12-04 21:07:31.204 +0100`.
std::string format_local_time(WallTime time) {
    const auto since_epoch = time.time_since_epoch();
    const auto seconds = std::chrono::floor<std::chrono::seconds>(since_epoch);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
    const std::time_t whole = static_cast<std::time_t>(seconds.count());
    std::tm local{};
    localtime_r(&whole, &local);

    char date[32];
    char zone[8];
    std::strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &local);
    std::strftime(zone, sizeof zone, "%z", &local);
    char result[64];
    std::snprintf(result, sizeof result, "%s.%03lld %s", date, static_cast<long long>(millis), zone);
    return result;
}

}  // namespace

std::string LogListener::format(const Signal& signal) const {
    std::string line = format_local_time(signal.timestamp);
    line.append(" ").append(to_string(level(signal.new_state)));
    line.append(" circuit breaker '").append(name_).append("': ");
    line.append(fluxgate::to_string(signal.old_state)).append(" -> ").append(fluxgate::to_string(signal.new_state));
    return line;
}

void LogListener::operator()(const Signal& signal) const { sink_(level(signal.new_state), format(signal)); }

}  // namespace fluxgate::listeners
