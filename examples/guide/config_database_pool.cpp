// docs/configurations.md: a breaker in front of a database connection pool.

#include <fluxgate/fluxgate.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "guide_check.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;

namespace {

// Errors a database driver throws.
class ConnectionError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};
class QueryTimeout : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};
class ConstraintViolation : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Order {
    long id = 0;
    std::string status;
};

bool g_database_up = true;

// Stand-in for a query through the pool.
std::optional<Order> query_order(long id) {
    if (!g_database_up) {
        throw ConnectionError("connection refused by orders-db:5432");
    }
    if (id < 0) {
        throw ConstraintViolation("negative order id");
    }
    return Order{id, "shipped"};
}

}  // namespace

// [start:database-pool]
// Only connection errors and timeouts show that the database is unhealthy. A
// constraint violation is bad input: it propagates but is not recorded.
fg::CircuitBreaker orders_db{{
    .window = fg::windows::CountWindow(200),
    .tracker = fg::trackers::TypeOf<ConnectionError, QueryTimeout>(),
    .tripper = fg::trippers::FailureStreak(20) |
               (fg::trippers::MinRequests(50) &
                (fg::trippers::FailureRate(0.25) | fg::trippers::SlowRate(0.5, 250ms))),
    .retry = fg::retries::Cooldown(5s, 0.3),
    .permit = fg::permits::RampUp(0.2, 1.0, 30s),
    .max_half_open_calls = 4,
    .listeners = {fg::listeners::LogListener("orders-db")},
    .name = "orders-db",
}};

std::optional<Order> find_order(long id) { return orders_db.call(query_order, id); }
// [end:database-pool]

int main() {
    check(find_order(7)->status == "shipped", "a query goes through");
    try {
        find_order(-1);
    } catch (const ConstraintViolation&) {
    }
    check(orders_db.info().calls.ignored == 1, "a constraint violation is not recorded");
    g_database_up = false;
    for (int i = 0; i < 20; ++i) {
        try {
            find_order(7);
        } catch (const ConnectionError&) {
        }
    }
    check(orders_db.state() == fg::State::open, "20 connection errors in a row open the circuit");
}
