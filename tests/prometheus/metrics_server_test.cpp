#include <fluxgate/prometheus.hpp>

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fluxgate/fluxgate.hpp>

#include "exposition_parsing.hpp"
#include "support/expect_throw.hpp"
#include "test_process.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;
namespace prom = fluxgate::prometheus;
using fluxgate::listeners::PrometheusListener;
using fluxgate::test::raw_exchange;
using fluxgate::test::sample_value;

namespace {

constexpr std::string_view kPlainGet = "GET /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n";

// Returns the status line of a raw HTTP response, such as `HTTP/1.1 404 Not Found`.
std::string status_line(const std::optional<std::string>& response) {
    if (!response) {
        return "connection refused";
    }
    return response->substr(0, response->find("\r\n"));
}

httplib::Result get(std::uint16_t port, const std::string& path) {
    httplib::Client client("127.0.0.1", port);
    client.set_connection_timeout(5);
    client.set_read_timeout(5);
    return client.Get(path);
}

// A breaker whose every failure opens it, with a listener and a registration.
struct Fixture {
    explicit Fixture(const std::string& name)
        : breaker({
              .tripper = fg::trippers::FailureStreak(1),
              .retry = fg::retries::Cooldown(60s),
              .listeners = {PrometheusListener(name, registry)},
              .clock = std::make_shared<fg::ManualClock>(),
              .name = name,
          }),
          registration(registry.add_breaker(breaker)) {}

    void trip() {
        auto permission = breaker.try_acquire();
        ASSERT_TRUE(permission.has_value());
        permission->failure(1ms);
    }

    prom::Registry registry;
    fg::CircuitBreaker breaker;
    prom::BreakerRegistration registration;
};

}  // namespace

TEST(MetricsServer, ServesRegistryAtMetrics) {
    Fixture fixture("payments");
    prom::MetricsServer server(fixture.registry);

    const httplib::Result result = get(server.port(), "/metrics");

    ASSERT_TRUE(result) << httplib::to_string(result.error());
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(result->body, fixture.registry.render());
    EXPECT_EQ(sample_value(result->body, R"(circuit_breaker_state{circuit_name="payments",state="closed"})"), "1");
}

TEST(MetricsServer, ShowsTransitionsOnNextScrape) {
    Fixture fixture("payments");
    prom::MetricsServer server(fixture.registry);

    fixture.trip();
    const httplib::Result result = get(server.port(), "/metrics");

    ASSERT_TRUE(result) << httplib::to_string(result.error());
    EXPECT_EQ(sample_value(result->body, R"(circuit_breaker_state{circuit_name="payments",state="open"})"), "1");
    EXPECT_EQ(sample_value(result->body, R"(circuit_breaker_calls_total{circuit_name="payments",outcome="failed"})"),
              "1");
}

TEST(MetricsServer, PicksFreePortForPortZero) {
    prom::Registry registry;

    prom::MetricsServer server(registry, {.port = 0});

    EXPECT_NE(server.port(), 0);
    EXPECT_EQ(server.address(), "127.0.0.1");
    EXPECT_EQ(server.url(), "http://127.0.0.1:" + std::to_string(server.port()) + "/metrics");
    EXPECT_TRUE(server.running());
}

TEST(MetricsServer, ListensOnNamedPort) {
    prom::Registry registry;
    std::optional<prom::MetricsServer> server;

    // Another process may take the port between the probe and the bind, so try a few.
    for (int attempt = 0; attempt < 5 && !server; ++attempt) {
        const std::uint16_t port = fluxgate::test::free_loopback_port();
        try {
            server.emplace(registry, prom::MetricsServerOptions{.port = port});
            EXPECT_EQ(server->port(), port);
        } catch (const std::runtime_error&) {
        }
    }

    ASSERT_TRUE(server.has_value());
    EXPECT_EQ(status_line(raw_exchange(server->port(), kPlainGet)),
              "HTTP/1.1 200 OK");
}

TEST(MetricsServer, ServesIpv6Loopback) {
    prom::Registry registry;
    PrometheusListener listener("payments", registry);
    std::unique_ptr<prom::MetricsServer> server;
    try {
        server = std::make_unique<prom::MetricsServer>(registry, prom::MetricsServerOptions{.address = "::1"});
    } catch (const std::runtime_error& error) {
        GTEST_SKIP() << "IPv6 loopback is not available here: " << error.what();
    }

    httplib::Client client("::1", server->port());
    client.set_connection_timeout(5);
    client.set_read_timeout(5);
    const httplib::Result result = client.Get("/metrics");

    EXPECT_EQ(server->url(), "http://[::1]:" + std::to_string(server->port()) + "/metrics");
    ASSERT_TRUE(result) << httplib::to_string(result.error());
    EXPECT_EQ(result->status, 200);
}

TEST(MetricsServer, AnswersHeadWithoutBody) {
    Fixture fixture("payments");
    prom::MetricsServer server(fixture.registry);

    const std::optional<std::string> response =
        raw_exchange(server.port(), "HEAD /metrics HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n");

    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(status_line(response), "HTTP/1.1 200 OK");
    EXPECT_NE(response->find("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"), std::string::npos);
    EXPECT_EQ(response->substr(response->find("\r\n\r\n") + 4), "");
}

TEST(MetricsServer, AnswersOtherPathsWithNotFound) {
    prom::Registry registry;
    prom::MetricsServer server(registry);

    for (const std::string path : {"/", "/metrics/", "/metricsx", "/Metrics", "/favicon.ico", "/metrics/../x"}) {
        const httplib::Result result = get(server.port(), path);

        ASSERT_TRUE(result) << path << ": " << httplib::to_string(result.error());
        EXPECT_EQ(result->status, 404) << path;
    }
}

TEST(MetricsServer, AnswersQueryStringLikePlainPath) {
    prom::Registry registry;
    prom::MetricsServer server(registry);

    const httplib::Result result = get(server.port(), "/metrics?name%5B%5D=x");

    ASSERT_TRUE(result) << httplib::to_string(result.error());
    EXPECT_EQ(result->status, 200);
}

TEST(MetricsServer, AnswersOtherMethodsWithMethodNotAllowed) {
    prom::Registry registry;
    prom::MetricsServer server(registry);

    for (const std::string method : {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
        const std::optional<std::string> response = raw_exchange(
            server.port(),
            method + " /metrics HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");

        EXPECT_EQ(status_line(response), "HTTP/1.1 405 Method Not Allowed") << method;
        ASSERT_TRUE(response.has_value());
        EXPECT_NE(response->find("Allow: GET, HEAD\r\n"), std::string::npos) << method;
    }
}

TEST(MetricsServer, RejectsUnknownMethodAsBadRequest) {
    prom::Registry registry;
    prom::MetricsServer server(registry);

    const std::optional<std::string> response =
        raw_exchange(server.port(), "BREW /metrics HTTP/1.1\r\nHost: test\r\n\r\n");

    EXPECT_EQ(status_line(response), "HTTP/1.1 400 Bad Request");
}

TEST(MetricsServer, SurvivesMalformedRequests) {
    Fixture fixture("payments");
    prom::MetricsServer server(fixture.registry);
    const std::string long_path(20'000, 'a');
    const std::string long_header = "GET /metrics HTTP/1.1\r\nX-Long: " + std::string(20'000, 'b') + "\r\n\r\n";
    const std::string requests[] = {
        "",
        "\r\n\r\n",
        "garbage\r\n\r\n",
        std::string("\x00\xff\x01\xfe binary\r\n\r\n", 15),
        "GET\r\n\r\n",
        "GET /metrics\r\n\r\n",
        "GET /metrics HTTP/1.1\r\nHeader without colon\r\n\r\n",
        "GET /" + long_path + " HTTP/1.1\r\n\r\n",
        long_header,
        "POST /metrics HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
        "POST /metrics HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\nx",
        "POST /metrics HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "GET /%zz%00 HTTP/1.1\r\nHost: test\r\n\r\n",
    };

    for (const std::string& request : requests) {
        const std::optional<std::string> response = raw_exchange(server.port(), request);

        ASSERT_TRUE(response.has_value()) << "connection refused after a request of " << request.size() << " bytes";
        // cpp-httplib skips a header line without a colon, so that request gets 200.
        const bool closed_without_answer = response->empty();
        const bool answered = response->starts_with("HTTP/1.1 2") || response->starts_with("HTTP/1.1 4");
        EXPECT_TRUE(closed_without_answer || answered)
            << "request of " << request.size() << " bytes got " << status_line(response);
    }
    const std::optional<std::string> abandoned = raw_exchange(
        server.port(), "GET /metrics HTTP/1.1\r\nHost: test\r\n", fluxgate::test::AfterSending::close_sending);
    ASSERT_TRUE(abandoned.has_value());
    const httplib::Result result = get(server.port(), "/metrics");

    ASSERT_TRUE(result) << httplib::to_string(result.error());
    EXPECT_EQ(result->status, 200);
    EXPECT_EQ(result->body, fixture.registry.render());
}

TEST(MetricsServer, ServesConcurrentScrapes) {
    Fixture fixture("payments");
    prom::MetricsServer server(fixture.registry, {.threads = 2});
    constexpr int kClients = 4;
    constexpr int kScrapesPerClient = 25;
    std::atomic<int> complete_scrapes{0};

    std::vector<std::thread> clients;
    for (int c = 0; c < kClients; ++c) {
        clients.emplace_back([&] {
            httplib::Client client("127.0.0.1", server.port());
            client.set_connection_timeout(5);
            client.set_read_timeout(5);
            for (int i = 0; i < kScrapesPerClient; ++i) {
                const httplib::Result result = client.Get("/metrics");
                const bool complete = result && result->status == 200 &&
                                      result->body.ends_with("\n") &&
                                      sample_value(result->body, R"(circuit_breaker_window_calls{circuit_name="payments"})");
                if (complete) {
                    complete_scrapes.fetch_add(1);
                }
            }
        });
    }
    // Transitions while the clients scrape: the open and closed states alternate.
    for (int i = 0; i < 20; ++i) {
        fixture.trip();
        fixture.breaker.reset();
    }
    for (std::thread& client : clients) {
        client.join();
    }

    EXPECT_EQ(complete_scrapes.load(), kClients * kScrapesPerClient);
    const std::string text = fixture.registry.render();
    EXPECT_EQ(sample_value(text, R"(circuit_breaker_state_transition_total{circuit_name="payments",old_state="closed",new_state="open"})"),
              "20");
}

TEST(MetricsServer, RejectsPortInUse) {
    prom::Registry registry;
    prom::MetricsServer first(registry);

    FLUXGATE_EXPECT_THROW_MESSAGE(prom::MetricsServer(registry, {.port = first.port()}), std::runtime_error,
                                  "MetricsServer: failed to listen on 127.0.0.1:" + std::to_string(first.port()) +
                                      "; check that the port is free and that the address belongs to this host");
    EXPECT_EQ(status_line(raw_exchange(first.port(), kPlainGet)),
              "HTTP/1.1 200 OK");
}

TEST(MetricsServer, RejectsAddressOfAnotherHost) {
    prom::Registry registry;

    // 192.0.2.1 is reserved for documentation (RFC 5737), so hosts do not normally have it.
    FLUXGATE_EXPECT_THROW_MESSAGE(prom::MetricsServer(registry, {.address = "192.0.2.1", .port = 9464}),
                                  std::runtime_error,
                                  "MetricsServer: failed to listen on 192.0.2.1:9464; check that the port is free "
                                  "and that the address belongs to this host");
}

TEST(MetricsServer, RejectsZeroThreads) {
    prom::Registry registry;

    FLUXGATE_EXPECT_THROW_MESSAGE(prom::MetricsServer(registry, {.threads = 0}), std::invalid_argument,
                                  "MetricsServer: threads must be at least 1, got 0");
}

TEST(MetricsServer, StopClosesListeningSocket) {
    prom::Registry registry;
    prom::MetricsServer server(registry);
    const std::uint16_t port = server.port();

    server.stop();
    server.stop();

    EXPECT_FALSE(server.running());
    EXPECT_EQ(raw_exchange(port, kPlainGet), std::nullopt);
}

TEST(MetricsServer, StopsRightAfterStart) {
    prom::Registry registry;

    // A stop() that missed a listening thread not started yet would leave
    // the destructor waiting forever, and ctest's timeout would fail the test.
    for (int i = 0; i < 20; ++i) {
        const prom::MetricsServer server(registry);
        EXPECT_TRUE(server.running());
    }
}

TEST(MetricsServer, StopsWhileClientKeepsConnectionOpen) {
    prom::Registry registry;
    auto server = std::make_unique<prom::MetricsServer>(registry);
    httplib::Client client("127.0.0.1", server->port());
    client.set_keep_alive(true);
    client.set_connection_timeout(5);
    client.set_read_timeout(5);
    const httplib::Result result = client.Get("/metrics");
    ASSERT_TRUE(result) << httplib::to_string(result.error());

    server->stop();

    EXPECT_FALSE(server->running());
}

TEST(MetricsServer, ServesDefaultRegistry) {
    PrometheusListener listener("fluxgate-metrics-server-test");
    prom::MetricsServer server;

    const httplib::Result result = get(server.port(), "/metrics");
    listener.close();

    ASSERT_TRUE(result) << httplib::to_string(result.error());
    EXPECT_EQ(sample_value(result->body,
                           R"(circuit_breaker_state{circuit_name="fluxgate-metrics-server-test",state="closed"})"),
              "1");
}

TEST(MetricsServer, OutputPassesPromtool) {
    if (!fluxgate::test::is_executable(FLUXGATE_PROMTOOL)) {
        GTEST_SKIP() << "promtool not found at configure time (Debian package prometheus)";
    }
    using namespace fg::trippers;
    prom::Registry registry;
    const std::string odd_name = "pay\"ments\\eu\nz\xC3\xBCrich \xFF";
    auto clock = std::make_shared<fg::ManualClock>();
    fg::CircuitBreaker odd({
        .tripper = FailureStreak(1) | (MinRequests(100) & (SlowRate(0.5, 250ms) | SlowRate(0.5, 2s))),
        .retry = fg::retries::Cooldown(10s),
        .permit = fg::permits::All(),
        .listeners = {PrometheusListener(odd_name, registry)},
        .clock = clock,
        .name = odd_name,
    });
    Fixture plain("search");
    const prom::BreakerRegistration odd_registration = registry.add_breaker(odd);
    const prom::BreakerRegistration plain_registration = registry.add_breaker("search", plain.breaker);
    PrometheusListener search_listener("search", registry);
    (odd.try_acquire())->success(3s);
    (odd.try_acquire())->failure(1ms);
    clock->advance(10s);
    (odd.try_acquire())->success(300ms);  // closes the circuit and clears the window
    (odd.try_acquire())->success(300ms);
    (odd.try_acquire())->success(3s);
    search_listener(fg::Signal{fg::State::closed, fg::State::forced_open, {}});
    prom::MetricsServer server(registry);
    const httplib::Result result = get(server.port(), "/metrics");
    ASSERT_TRUE(result) << httplib::to_string(result.error());
    const fluxgate::test::TempDir dir;
    fluxgate::test::write_file(dir.path() / "metrics.txt", result->body);

    const fluxgate::test::ProcessResult check =
        fluxgate::test::run_process({FLUXGATE_PROMTOOL, "check", "metrics"}, dir.path() / "metrics.txt");

    EXPECT_EQ(check.exit_code, 0) << check.output << "\n--- metrics ---\n" << result->body;
    EXPECT_EQ(check.output, "") << result->body;
    EXPECT_EQ(fluxgate::test::family_grouping_problem(result->body), "") << result->body;
    for (const std::string_view family :
         {"circuit_breaker_state", "circuit_breaker_state_transition_total", "circuit_breaker_calls_total",
          "circuit_breaker_failure_ratio", "circuit_breaker_slow_call_ratio", "circuit_breaker_window_calls"}) {
        // Appending in steps, not with operator+ on a string literal, avoids a
        // false -Wrestrict from GCC 12 at -O3.
        std::string sample_start = "\n";
        sample_start.append(family).append("{");
        EXPECT_NE(result->body.find(sample_start), std::string::npos) << family;
    }
}
