#include "exposition.hpp"

#include <charconv>
#include <cmath>
#include <cstddef>
#include <system_error>

#include <fluxgate/prometheus.hpp>

namespace fluxgate::prometheus {

namespace {

constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

// Returns the length of the valid UTF-8 sequence at the start of `text`, or
// 0 if it starts with an invalid one. Overlong forms, UTF-16 surrogates and
// code points above U+10FFFF are invalid, as RFC 3629 defines.
std::size_t utf8_sequence_length(std::string_view text) noexcept {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const auto continuation = [&](std::size_t i) { return i < text.size() && (byte(i) & 0xC0) == 0x80; };

    const unsigned char lead = byte(0);
    if (lead < 0x80) {
        return 1;
    }
    if (lead >= 0xC2 && lead <= 0xDF) {
        return continuation(1) ? 2 : 0;
    }
    if (lead >= 0xE0 && lead <= 0xEF) {
        if (!continuation(1) || !continuation(2)) {
            return 0;
        }
        const unsigned char second = byte(1);
        const bool overlong = lead == 0xE0 && second < 0xA0;
        const bool surrogate = lead == 0xED && second >= 0xA0;
        return overlong || surrogate ? 0 : 3;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        if (!continuation(1) || !continuation(2) || !continuation(3)) {
            return 0;
        }
        const unsigned char second = byte(1);
        const bool overlong = lead == 0xF0 && second < 0x90;
        const bool too_large = lead == 0xF4 && second >= 0x90;
        return overlong || too_large ? 0 : 4;
    }
    return 0;
}

}  // namespace

std::string escape_label_value(std::string_view value) {
    std::string escaped;
    escaped.reserve(value.size());
    while (!value.empty()) {
        const std::size_t length = utf8_sequence_length(value);
        if (length == 0) {
            escaped.append(kReplacementCharacter);
            value.remove_prefix(1);
            continue;
        }
        switch (value.front()) {
            case '\\': escaped.append("\\\\"); break;
            case '"': escaped.append("\\\""); break;
            case '\n': escaped.append("\\n"); break;
            default: escaped.append(value.substr(0, length)); break;
        }
        value.remove_prefix(length);
    }
    return escaped;
}

namespace detail {

void append_family_header(std::string& out, std::string_view name, MetricType type, std::string_view help) {
    out.append("# HELP ").append(name).append(" ").append(help).append("\n");
    out.append("# TYPE ").append(name).append(type == MetricType::counter ? " counter\n" : " gauge\n");
}

void append_sample(std::string& out, std::string_view name, std::initializer_list<Label> labels,
                   std::string_view value) {
    out.append(name);
    if (labels.size() != 0) {
        char separator = '{';
        for (const Label& label : labels) {
            out.push_back(separator);
            out.append(label.name).append("=\"").append(escape_label_value(label.value)).append("\"");
            separator = ',';
        }
        out.push_back('}');
    }
    out.append(" ").append(value).append("\n");
}

std::string format_value(double value) {
    if (std::isnan(value)) {
        return "NaN";
    }
    if (std::isinf(value)) {
        return value > 0 ? "+Inf" : "-Inf";
    }
    char buffer[64];
    const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, value);
    // 64 characters hold the shortest form of any finite double.
    return error == std::errc() ? std::string(buffer, end) : std::string("NaN");
}

std::string format_value(std::int64_t value) { return std::to_string(value); }

std::string format_seconds(Duration d) {
    constexpr Duration::rep kNanosecondsPerSecond = 1'000'000'000;
    const Duration::rep count = d.count();
    const bool negative = count < 0;
    // Work on the magnitude in unsigned arithmetic, so the most negative count cannot overflow.
    const auto magnitude = negative ? 0 - static_cast<unsigned long long>(count) : static_cast<unsigned long long>(count);
    const auto per_second = static_cast<unsigned long long>(kNanosecondsPerSecond);

    std::string text = negative ? "-" : "";
    text.append(std::to_string(magnitude / per_second));
    unsigned long long fraction = magnitude % per_second;
    if (fraction == 0) {
        return text;
    }
    std::string digits = std::to_string(fraction);
    digits.insert(0, 9 - digits.size(), '0');
    digits.erase(digits.find_last_not_of('0') + 1);
    return text.append(".").append(digits);
}

}  // namespace detail

}  // namespace fluxgate::prometheus
