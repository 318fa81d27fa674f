// `TypeOf` accepts only types derived from `std::exception`.

#include <fluxgate/trackers.hpp>

#include <stdexcept>

void track() {
    [[maybe_unused]] auto tracker = fluxgate::trackers::TypeOf<std::logic_error, std::runtime_error>();
#ifdef FLUXGATE_EXPECT_COMPILE_ERROR
    [[maybe_unused]] auto not_an_exception = fluxgate::trackers::TypeOf<std::runtime_error, int>();
#endif
}
