#pragma once

// Helpers that build the `std::invalid_argument` messages of every component.
// The message form is `<component>: <parameter> must be <range>, got <value>`.

#include <cmath>
#include <string>
#include <string_view>

#include <fluxgate/clock.hpp>

namespace fluxgate::detail {

/// Formats a duration with its unit, choosing the largest unit that keeps it exact.
[[nodiscard]] std::string format_duration(Duration d);

/// Formats a floating-point value so that NaN and infinities read as `nan`, `inf`, `-inf`.
[[nodiscard]] std::string format_number(double value);

/// Throws `std::invalid_argument` with the message
/// `<component>: <parameter> must be <range>, got <value>`.
[[noreturn]] void throw_invalid(std::string_view component, std::string_view parameter,
                                std::string_view range, std::string_view value);

/// Checks that `value` is finite and lies in the interval described by the
/// flags; `range` is the text shown when it does not.
void check_range(std::string_view component, std::string_view parameter, double value, double low,
                 bool low_inclusive, double high, bool high_inclusive, std::string_view range);

/// Checks that `d` is strictly positive.
void check_positive(std::string_view component, std::string_view parameter, Duration d);

/// Checks that `n` is at least `min`.
void check_at_least(std::string_view component, std::string_view parameter, long long n, long long min);

}  // namespace fluxgate::detail
