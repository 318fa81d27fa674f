#pragma once

/// @file
/// Listeners: callables notified of every transition, and `LogListener`.

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include <fluxgate/state.hpp>

namespace fluxgate::listeners {

/// Any callable taking `const Signal&`.
///
/// A listener runs after the transition, outside the breaker's lock, in the
/// thread whose call caused it and before that call returns. Listeners see
/// transitions in the order they happened, each exactly once, and may call
/// back into the breaker. An exception from a listener is passed to the
/// error handler (see `set_error_handler`) and the next listener runs.
using Listener = std::function<void(const Signal&)>;

/// Severity of a log line.
enum class LogLevel : std::uint8_t { debug, info, warning, error };

/// Returns `debug`, `info`, `warning` or `error`.
[[nodiscard]] std::string_view to_string(LogLevel level) noexcept;

/// Receives one formatted line per transition, without a trailing newline.
using LogSink = std::function<void(LogLevel level, std::string_view line)>;

/// Returns a sink that writes each line and a newline to standard error.
[[nodiscard]] LogSink stderr_sink();

/// Logs one line per transition: local time, level, the breaker's name, and
/// the old and new state, for example
/// `2026-12-04 21:07:31.204 +0100 warning circuit breaker 'payments-api': closed -> open`.
///
/// Transitions to `open` and `forced_open` log at `warning`, the rest at
/// `info`; `with_level` changes the level of any target state.
///
/// Thread safety: distinct objects, safe; shared object, safe for concurrent
/// calls of `operator()` when the sink is. `with_level` must not race with them.
class LogListener {
public:
    /// Logs transitions of the breaker called `name` to `sink`, or to
    /// standard error if `sink` is empty.
    explicit LogListener(std::string name, LogSink sink = {});

    /// Logs transitions into `state` at `level`.
    LogListener& with_level(State state, LogLevel level) &;
    /// Logs transitions into `state` at `level`, for a listener built in place.
    LogListener&& with_level(State state, LogLevel level) &&;

    /// Returns the level used for transitions into `state`.
    [[nodiscard]] LogLevel level(State state) const noexcept {
        return levels_[static_cast<std::size_t>(state)];
    }

    /// Formats `signal` as the line the listener writes.
    [[nodiscard]] std::string format(const Signal& signal) const;

    /// Writes the line for `signal` to the sink.
    void operator()(const Signal& signal) const;

private:
    std::string name_;
    LogSink sink_;
    std::array<LogLevel, kStateCount> levels_;
};

}  // namespace fluxgate::listeners
