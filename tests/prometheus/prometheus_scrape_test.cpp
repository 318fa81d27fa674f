#include <fluxgate/prometheus.hpp>

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fluxgate/fluxgate.hpp>

#include "test_process.hpp"

using namespace std::chrono_literals;
namespace fg = fluxgate;
namespace prom = fluxgate::prometheus;
namespace fs = std::filesystem;
using fluxgate::test::ChildProcess;
using fluxgate::test::TempDir;

namespace {

// Returns the contents of every fenced block of docs/prometheus.md whose
// info string is `language`, in order.
std::vector<std::string> documented_blocks(std::string_view language) {
    const std::string text = fluxgate::test::read_file(fs::path(FLUXGATE_DOCS_DIR) / "prometheus.md");
    const std::string opening = "```" + std::string(language) + "\n";
    std::vector<std::string> blocks;
    std::size_t position = 0;
    while ((position = text.find(opening, position)) != std::string::npos) {
        const std::size_t start = position + opening.size();
        const std::size_t end = text.find("```\n", start);
        if (end == std::string::npos) {
            break;
        }
        blocks.push_back(text.substr(start, end - start));
        position = end + 4;
    }
    return blocks;
}

// Returns the documented YAML block that starts with `first_line`, or an empty string.
std::string documented_yaml(std::string_view first_line) {
    for (const std::string& block : documented_blocks("yaml")) {
        if (block.starts_with(first_line)) {
            return block;
        }
    }
    return {};
}

// Writes `value` as a PromQL double-quoted string.
std::string promql_string(std::string_view value) {
    std::string quoted = "\"";
    for (char c : value) {
        switch (c) {
            case '\\': quoted += "\\\\"; break;
            case '"': quoted += "\\\""; break;
            case '\n': quoted += "\\n"; break;
            default: quoted += c; break;
        }
    }
    return quoted + "\"";
}

std::string percent_encode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string encoded;
    for (char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        const bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                                (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            encoded += c;
        } else {
            encoded += '%';
            encoded += kHex[byte >> 4];
            encoded += kHex[byte & 0x0F];
        }
    }
    return encoded;
}

// Calls `condition` every 250 ms until it returns true or `timeout` passes.
bool eventually(const std::function<bool()>& condition, std::chrono::seconds timeout = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) {
            return true;
        }
        std::this_thread::sleep_for(250ms);
    }
    return condition();
}

// A Prometheus server on 127.0.0.1 that scrapes 127.0.0.1:`target_port`
// every second and evaluates `rules` every second. Its data lives in a
// temporary directory; the process is killed on destruction.
class PrometheusServer {
public:
    PrometheusServer(std::uint16_t target_port, const std::string& rules) {
        const fs::path rules_path = dir_.path() / "rules.yml";
        fluxgate::test::write_file(rules_path, rules.empty() ? "groups: []\n" : rules);
        const fs::path config_path = dir_.path() / "prometheus.yml";
        fluxgate::test::write_file(config_path, "global:\n"
                                                "  scrape_interval: 1s\n"
                                                "  scrape_timeout: 1s\n"
                                                "  evaluation_interval: 1s\n"
                                                "rule_files:\n"
                                                "  - " + rules_path.string() + "\n"
                                                "scrape_configs:\n"
                                                "  - job_name: fluxgate\n"
                                                "    static_configs:\n"
                                                "      - targets: [\"127.0.0.1:" + std::to_string(target_port) + "\"]\n");

        // The port is probed free and then handed to Prometheus, so another
        // process may take it in between: retry with a new port then.
        for (int attempt = 0; attempt < 3; ++attempt) {
            port_ = fluxgate::test::free_loopback_port();
            process_ = std::make_unique<ChildProcess>(
                std::vector<std::string>{
                    FLUXGATE_PROMETHEUS,
                    "--config.file=" + config_path.string(),
                    "--storage.tsdb.path=" + (dir_.path() / "data").string(),
                    "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                },
                log_path());
            if (eventually([this] { return process_->poll() || get("/-/ready").status == 200; })) {
                if (!process_->poll()) {
                    return;
                }
            }
            process_->terminate();
        }
        process_.reset();
    }

    /// Returns true if the server reported ready at /-/ready.
    [[nodiscard]] bool ready() const { return process_ != nullptr; }

    [[nodiscard]] fs::path log_path() const { return dir_.path() / "prometheus.log"; }

    struct Reply {
        int status = 0;  ///< 0 when the request failed.
        std::string body;
    };

    Reply get(const std::string& path) const {
        httplib::Client client("127.0.0.1", port_);
        client.set_connection_timeout(2);
        client.set_read_timeout(5);
        const httplib::Result result = client.Get(path);
        if (!result) {
            return {};
        }
        return {result->status, result->body};
    }

    /// Runs an instant query and returns the JSON reply.
    Reply query(std::string_view promql) const { return get("/api/v1/query?query=" + percent_encode(promql)); }

    /// Returns true if the query succeeds with at least one sample, each of value `value`.
    bool query_returns(std::string_view promql, std::string_view value) const {
        const Reply reply = query(promql);
        return reply.status == 200 && reply.body.find(R"("status":"success")") != std::string::npos &&
               reply.body.find(R"("result":[{)") != std::string::npos &&
               reply.body.find(",\"" + std::string(value) + "\"]") != std::string::npos;
    }

private:
    TempDir dir_;
    std::uint16_t port_ = 0;
    std::unique_ptr<ChildProcess> process_;
};

}  // namespace

TEST(PrometheusScrape, FindsOpenStateAfterTransition) {
    if (!fluxgate::test::is_executable(FLUXGATE_PROMETHEUS)) {
        GTEST_SKIP() << "prometheus not found at configure time (Debian package prometheus)";
    }
    const std::string name = "pay\"ments\\eu\nz\xC3\xBCrich";
    const std::string circuit = "circuit_name=" + promql_string(name);
    prom::Registry registry;
    fg::CircuitBreaker breaker({
        .tripper = fg::trippers::FailureStreak(1),
        .retry = fg::retries::Cooldown(600s),
        .listeners = {fg::listeners::PrometheusListener(name, registry)},
        .name = name,
    });
    const prom::BreakerRegistration registration = registry.add_breaker(breaker);
    prom::MetricsServer endpoint(registry);
    const PrometheusServer prometheus(endpoint.port(), documented_yaml("groups:"));
    ASSERT_TRUE(prometheus.ready()) << fluxgate::test::read_file(prometheus.log_path());
    ASSERT_TRUE(eventually([&] { return prometheus.query_returns("up{job=\"fluxgate\"} == 1", "1"); }))
        << prometheus.query("up").body;
    ASSERT_TRUE(eventually([&] {
        return prometheus.query_returns("circuit_breaker_state{" + circuit + ",state=\"closed\"} == 1", "1");
    })) << prometheus.query("circuit_breaker_state").body;

    EXPECT_THROW(breaker.call([]() -> int { throw std::runtime_error("dependency down"); }), std::runtime_error);
    ASSERT_EQ(breaker.state(), fg::State::open);

    EXPECT_TRUE(eventually([&] {
        return prometheus.query_returns("circuit_breaker_state{" + circuit + ",state=\"open\"} == 1", "1");
    })) << prometheus.query("circuit_breaker_state").body;
    EXPECT_TRUE(prometheus.query_returns("circuit_breaker_state{" + circuit + ",state=\"closed\"}", "0"))
        << prometheus.query("circuit_breaker_state").body;
    EXPECT_TRUE(prometheus.query_returns(
        "circuit_breaker_state_transition_total{" + circuit + ",old_state=\"closed\",new_state=\"open\"}", "1"))
        << prometheus.query("circuit_breaker_state_transition_total").body;
    EXPECT_TRUE(prometheus.query_returns("circuit_breaker_calls_total{" + circuit + ",outcome=\"failed\"}", "1"))
        << prometheus.query("circuit_breaker_calls_total").body;
    // The documented alert rules are loaded; the open circuit makes CircuitBreakerOpen pending.
    EXPECT_TRUE(eventually([&] {
        const std::string alerts = prometheus.get("/api/v1/alerts").body;
        return alerts.find(R"("alertname":"CircuitBreakerOpen")") != std::string::npos;
    })) << prometheus.get("/api/v1/alerts").body;
    EXPECT_TRUE(prometheus.query_returns("up{job=\"fluxgate\"}", "1")) << "a scrape failed";
}

TEST(PrometheusScrape, RunsEveryDocumentedQuery) {
    if (!fluxgate::test::is_executable(FLUXGATE_PROMETHEUS)) {
        GTEST_SKIP() << "prometheus not found at configure time (Debian package prometheus)";
    }
    prom::Registry registry;
    fg::CircuitBreaker breaker({
        .listeners = {fg::listeners::PrometheusListener("payments", registry)},
        .name = "payments",
    });
    const prom::BreakerRegistration registration = registry.add_breaker(breaker);
    prom::MetricsServer endpoint(registry);
    const PrometheusServer prometheus(endpoint.port(), "");
    ASSERT_TRUE(prometheus.ready()) << fluxgate::test::read_file(prometheus.log_path());
    const std::vector<std::string> queries = documented_blocks("promql");
    ASSERT_GE(queries.size(), 6u) << "expected a query for each series";

    for (const std::string& query : queries) {
        const PrometheusServer::Reply reply = prometheus.query(query);

        EXPECT_EQ(reply.status, 200) << query << "\n" << reply.body;
        EXPECT_NE(reply.body.find(R"("status":"success")"), std::string::npos) << query << "\n" << reply.body;
    }
}

TEST(PrometheusDocs, AlertRulesPassPromtool) {
    if (!fluxgate::test::is_executable(FLUXGATE_PROMTOOL)) {
        GTEST_SKIP() << "promtool not found at configure time (Debian package prometheus)";
    }
    const std::string rules = documented_yaml("groups:");
    ASSERT_FALSE(rules.empty()) << "docs/prometheus.md has no YAML block starting with 'groups:'";
    const TempDir dir;
    fluxgate::test::write_file(dir.path() / "rules.yml", rules);

    const fluxgate::test::ProcessResult check =
        fluxgate::test::run_process({FLUXGATE_PROMTOOL, "check", "rules", (dir.path() / "rules.yml").string()});

    EXPECT_EQ(check.exit_code, 0) << check.output;
    EXPECT_NE(check.output.find("SUCCESS: 4 rules found"), std::string::npos) << check.output;
}

TEST(PrometheusDocs, ScrapeConfigPassesPromtool) {
    if (!fluxgate::test::is_executable(FLUXGATE_PROMTOOL)) {
        GTEST_SKIP() << "promtool not found at configure time (Debian package prometheus)";
    }
    const std::string config = documented_yaml("scrape_configs:");
    ASSERT_FALSE(config.empty()) << "docs/prometheus.md has no YAML block starting with 'scrape_configs:'";
    const TempDir dir;
    fluxgate::test::write_file(dir.path() / "prometheus.yml", config);

    const fluxgate::test::ProcessResult check = fluxgate::test::run_process(
        {FLUXGATE_PROMTOOL, "check", "config", (dir.path() / "prometheus.yml").string()});

    EXPECT_EQ(check.exit_code, 0) << check.output;
}
