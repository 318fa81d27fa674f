// A tracker and a tripper must not combine: `&` and `|` are defined only
// between two trackers or between two trippers.

#include <fluxgate/trackers.hpp>
#include <fluxgate/trippers.hpp>

void combine() {
    using fluxgate::trackers::All;
    using fluxgate::trippers::Closed;

    [[maybe_unused]] auto trackers = All() & All();
    [[maybe_unused]] auto trippers = Closed() & Closed();
#ifdef FLUXGATE_EXPECT_COMPILE_ERROR
    [[maybe_unused]] auto mixed = All() & Closed();
#endif
}
