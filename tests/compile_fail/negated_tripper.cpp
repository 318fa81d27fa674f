// A tripper has no `~`: trippers compose with `&` and `|` only, and `~` is
// defined for trackers alone.

#include <fluxgate/trackers.hpp>
#include <fluxgate/trippers.hpp>

void negate() {
    using fluxgate::trippers::Closed;

    [[maybe_unused]] auto tracker = ~fluxgate::trackers::All();
    [[maybe_unused]] auto tripper = Closed();
#ifdef FLUXGATE_EXPECT_COMPILE_ERROR
    [[maybe_unused]] auto negated = ~Closed();
#endif
}
