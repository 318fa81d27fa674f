#pragma once

/// @file
/// The handler that receives errors a breaker catches and does not rethrow.

#include <functional>
#include <string_view>

namespace fluxgate {

/// Receives one message per error that fluxgate catches and does not rethrow,
/// such as a listener that threw or an exporter that failed.
///
/// The handler must not throw; an exception from it is swallowed.
using ErrorHandler = std::function<void(std::string_view message)>;

/// Replaces the process-wide error handler and returns the previous one.
///
/// An empty handler restores the default, which writes each message as one
/// line to standard error and prints at most 10 lines per second, followed
/// by a count of the lines it suppressed.
///
/// Thread safety: may be called concurrently with `report_error`.
ErrorHandler set_error_handler(ErrorHandler handler);

/// Passes `message` to the current error handler. Never throws.
void report_error(std::string_view message) noexcept;

}  // namespace fluxgate
