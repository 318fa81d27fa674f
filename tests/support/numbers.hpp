#pragma once

// Floating-point values that validation must reject wherever a finite value is required.

#include <limits>

namespace fluxgate::test_support {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
inline constexpr double kInfinity = std::numeric_limits<double>::infinity();

}  // namespace fluxgate::test_support
