#pragma once

// Writers for the Prometheus text exposition format 0.0.4: one family is a
// HELP line, a TYPE line and its samples, each line ending in a line feed.

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <fluxgate/clock.hpp>

namespace fluxgate::prometheus::detail {

/// One label of a sample. The name must already be a valid label name.
struct Label {
    std::string_view name;
    std::string_view value;
};

enum class MetricType : std::uint8_t { counter, gauge };

/// Appends the HELP and TYPE lines of a family. `help` must contain no
/// backslash and no line feed, which the format would need escaped.
void append_family_header(std::string& out, std::string_view name, MetricType type, std::string_view help);

/// Appends one sample line; label values are escaped here.
void append_sample(std::string& out, std::string_view name, std::initializer_list<Label> labels,
                   std::string_view value);

/// Formats a sample value: the shortest decimal that reads back as the same
/// double, and `NaN`, `+Inf`, `-Inf` as the format spells them.
[[nodiscard]] std::string format_value(double value);

/// Formats an integer sample value.
[[nodiscard]] std::string format_value(std::int64_t value);

/// Formats `d` as an exact decimal number of seconds with no trailing
/// zeros: 1 s is `1`, 250 ms is `0.25`, 1 ns is `0.000000001`.
[[nodiscard]] std::string format_seconds(Duration d);

}  // namespace fluxgate::prometheus::detail
