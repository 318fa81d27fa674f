// docs/configurations.md: a breaker in a batch job that calls a service for
// each item in turn.

#include <fluxgate/fluxgate.hpp>

#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "guide_check.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;

namespace {

struct Item {
    long id = 0;
};

int g_enrich_calls = 0;

// Stand-in for the enrichment service: it goes down after item 100.
bool enrich(const Item& item) {
    ++g_enrich_calls;
    if (item.id > 100) {
        throw std::runtime_error("enrichment service unavailable");
    }
    return true;
}

}  // namespace

int main() {
    std::vector<Item> batch;
    for (long id = 1; id <= 1000; ++id) {
        batch.push_back(Item{id});
    }

    // [start:batch-job]
    // The job runs the items one after another, so a short count window, one
    // probe at a time, and long waits between probes fit it.
    fg::CircuitBreaker enrichment{{
        .window = fg::windows::CountWindow(20),
        .tripper = fg::trippers::FailureStreak(3) |
                   (fg::trippers::MinRequests(10) & fg::trippers::FailureRate(0.5)),
        .retry = fg::retries::Backoff(30s, 2.0, 10min),
        .permit = fg::permits::All(),
        .max_half_open_calls = 1,
        .name = "enrichment",
    }};

    // Once the circuit opens, the remaining items are parked for the next run
    // without a call each, instead of each failing after a timeout.
    std::vector<long> parked;
    for (const Item& item : batch) {
        enrichment.call_with_fallback(
            enrich,
            [&](const std::exception& error) {
                parked.push_back(item.id);
                if (parked.size() == 1) {
                    std::cerr << "parking items from " << item.id << ": " << error.what() << '\n';
                }
                return false;
            },
            item);
    }
    // [end:batch-job]

    check(g_enrich_calls == 103, "the service is called for 100 good items and 3 failures, then never again");
    check(parked.size() == 900, "items 101 to 1000 are parked");
    check(enrichment.info().calls.rejected == 897, "897 items are rejected without a call");
}
