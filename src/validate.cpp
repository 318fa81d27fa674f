#include <fluxgate/detail/validate.hpp>

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

namespace fluxgate::detail {

std::string format_duration(Duration d) {
    using namespace std::chrono;
    const auto count = d.count();
    struct Unit {
        Duration::rep nanoseconds;
        const char* suffix;
    };
    static constexpr Unit kUnits[] = {
        {3'600'000'000'000LL, "h"}, {60'000'000'000LL, "min"}, {1'000'000'000LL, "s"},
        {1'000'000LL, "ms"},        {1'000LL, "us"},
    };
    if (count != 0) {
        for (const Unit& unit : kUnits) {
            if (count % unit.nanoseconds == 0) {
                return std::to_string(count / unit.nanoseconds) + unit.suffix;
            }
        }
    }
    return std::to_string(count) + "ns";
}

std::string format_number(double value) {
    if (std::isnan(value)) {
        return "nan";
    }
    if (std::isinf(value)) {
        return value > 0 ? "inf" : "-inf";
    }
    // The shortest text that reads back as the same value: 50 stays "50"
    // (printf's "%.1g" would give "5e+01"), and 0.1 stays "0.1".
    char buffer[32];
    const std::to_chars_result result = std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, result.ptr);
}

void throw_invalid(std::string_view component, std::string_view parameter, std::string_view range,
                   std::string_view value) {
    std::string message;
    message.append(component).append(": ").append(parameter).append(" must be ").append(range);
    message.append(", got ").append(value);
    throw std::invalid_argument(message);
}

void check_range(std::string_view component, std::string_view parameter, double value, double low,
                 bool low_inclusive, double high, bool high_inclusive, std::string_view range) {
    const bool above_low = low_inclusive ? value >= low : value > low;
    const bool below_high = high_inclusive ? value <= high : value < high;
    if (!std::isfinite(value) || !above_low || !below_high) {
        throw_invalid(component, parameter, range, format_number(value));
    }
}

void check_positive(std::string_view component, std::string_view parameter, Duration d) {
    if (d <= Duration::zero()) {
        throw_invalid(component, parameter, "greater than 0", format_duration(d));
    }
}

void check_at_least(std::string_view component, std::string_view parameter, long long n, long long min) {
    if (n < min) {
        throw_invalid(component, parameter, "at least " + std::to_string(min), std::to_string(n));
    }
}

}  // namespace fluxgate::detail
