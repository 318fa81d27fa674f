// `TypeOf` needs at least one exception type.

#include <fluxgate/trackers.hpp>

#include <stdexcept>

void track() {
    [[maybe_unused]] auto tracker = fluxgate::trackers::TypeOf<std::runtime_error>();
#ifdef FLUXGATE_EXPECT_COMPILE_ERROR
    [[maybe_unused]] auto empty = fluxgate::trackers::TypeOf<>();
#endif
}
