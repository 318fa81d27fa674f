#pragma once

// Small readers of the text exposition format for the tests: they find a
// sample by its exact series text, as the registry writes it.

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace fluxgate::test {

/// Splits `text` at line feeds; a final line feed ends the last line.
inline std::vector<std::string_view> split_lines(std::string_view text) {
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const std::size_t end = text.find('\n');
        lines.push_back(text.substr(0, end));
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    }
    return lines;
}

/// Returns the value of the sample whose line starts with `series` and a
/// space, or nothing if no line does.
inline std::optional<std::string> sample_value(std::string_view text, std::string_view series) {
    for (const std::string_view line : split_lines(text)) {
        if (line.size() > series.size() && line.starts_with(series) && line[series.size()] == ' ') {
            return std::string(line.substr(series.size() + 1));
        }
    }
    return std::nullopt;
}

/// Returns how many lines of `text` start with `prefix`.
inline int count_lines_starting_with(std::string_view text, std::string_view prefix) {
    int count = 0;
    for (const std::string_view line : split_lines(text)) {
        if (line.starts_with(prefix)) {
            ++count;
        }
    }
    return count;
}

/// Returns the first grouping problem in `text`: a family whose TYPE line
/// appears twice, or a sample outside the family of the TYPE line above it.
/// Returns an empty string when every family is one contiguous block, as
/// the format requires and promtool 2.42 does not check.
inline std::string family_grouping_problem(std::string_view text) {
    std::set<std::string, std::less<>> seen;
    std::string_view family;
    for (const std::string_view line : split_lines(text)) {
        if (line.starts_with("# TYPE ")) {
            family = line.substr(7, line.find(' ', 7) - 7);
            if (!seen.insert(std::string(family)).second) {
                return "second TYPE line for " + std::string(family);
            }
        } else if (!line.empty() && !line.starts_with("#")) {
            const std::string_view name = line.substr(0, line.find_first_of("{ "));
            if (name != family) {
                return "sample of " + std::string(name) + " inside family " + std::string(family);
            }
        }
    }
    return {};
}

}  // namespace fluxgate::test
