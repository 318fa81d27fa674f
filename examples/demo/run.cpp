#include "run.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fluxgate/fluxgate.hpp>
#ifdef FLUXGATE_DEMO_HAS_PROMETHEUS
#include <fluxgate/prometheus.hpp>
#endif

#include "http_client.hpp"
#include "recorder.hpp"
#include "summary.hpp"
#include "timeline_svg.hpp"
#include "upstream_process.hpp"

namespace demo {

namespace {

namespace fg = fluxgate;

#ifdef FLUXGATE_DEMO_HAS_PROMETHEUS
using MetricsRegistry = fg::prometheus::Registry;
#else
struct MetricsRegistry {};  // Built without fluxgate::prometheus: no metrics to serve.
#endif
using Clock = std::chrono::steady_clock;

// Serializes lines from the timeline and from listeners running in client threads.
class Console {
public:
    explicit Console(std::FILE* out) : out_(out) {}

    void line(std::string_view text) {
        std::lock_guard lock(mutex_);
        std::fwrite(text.data(), 1, text.size(), out_);
        std::fputc('\n', out_);
        std::fflush(out_);
    }

private:
    std::mutex mutex_;
    std::FILE* out_;
};

std::string format(const char* pattern, auto... values) {
    char text[512];
    std::snprintf(text, sizeof text, pattern, values...);
    return text;
}

std::string stamp(double elapsed_s) { return format("[%6.2fs] ", elapsed_s); }

// A tripper written for this program, to show how users extend the model.
// It keeps the circuit HALF_OPEN until `count` probes have been recorded, so
// recovery is gradual while RampUp admits more and more calls. A failed probe
// still reopens the circuit at once, because the tripper is true meanwhile.
class ProbeQuota final : public fg::trippers::Tripper {
public:
    explicit ProbeQuota(std::int64_t count) : count_(count) {}

    [[nodiscard]] bool operator()(const fg::trippers::CallContext& context) const override {
        return context.state == fg::State::half_open && context.metric.total_count < count_;
    }

private:
    std::int64_t count_;
};

fg::Options breaker_options(const Scenario& scenario, std::uint64_t seed, Console& console, Recorder& recorder,
                            [[maybe_unused]] MetricsRegistry& metrics) {
    using namespace fg::trippers;

    // A 4xx is the caller's mistake, not a sign of a sick upstream, so only
    // 5xx responses count as failures, besides calls that got no response at all.
    const auto server_errors = fg::trackers::Custom([](const std::exception& error) {
        const auto* http = dynamic_cast<const HttpError*>(&error);
        return http != nullptr && http->status() >= 500;
    });
    const auto log_sink = [&console, &recorder](fg::listeners::LogLevel, std::string_view line) {
        console.line(stamp(recorder.elapsed_s()) + ">> " + std::string(line));
    };
    const auto record = [&recorder](const fg::Signal& signal) { recorder.on_transition(signal); };

    return fg::Options{
        .window = fg::windows::TimeWindow(scenario.window),
        .tracker = fg::trackers::TypeOf<ConnectionError, TimeoutError>() | server_errors,
        .tripper = FailureStreak(scenario.failure_streak) |
                   (MinRequests(scenario.min_requests) &
                    (FailureRate(scenario.failure_rate) | SlowRate(scenario.slow_rate, scenario.slow_threshold))) |
                   ProbeQuota(scenario.probe_quota),
        .retry = fg::retries::Backoff(scenario.backoff_initial, scenario.backoff_multiplier, scenario.backoff_max,
                                      scenario.backoff_jitter, seed),
        .permit = fg::permits::RampUp(scenario.ramp_initial, 1.0, scenario.ramp_duration, seed + 1),
        .max_half_open_calls = scenario.max_half_open_calls,
        .listeners = {fg::listeners::LogListener("upstream", log_sink), record,
#ifdef FLUXGATE_DEMO_HAS_PROMETHEUS
                      fg::listeners::PrometheusListener("upstream", metrics)
#endif
        },
        .name = "upstream",
    };
}

// Sends one request through the breaker and classifies how it ended.
Outcome call_once(fg::CircuitBreaker& breaker, HttpClient& client, const std::string& path) {
    try {
        breaker.call([&] { return client.get(path); });
        return Outcome::succeeded;
    } catch (const fg::CallNotPermittedError& error) {
        return error.state() == fg::State::half_open ? Outcome::rejected_half_open : Outcome::rejected_open;
    } catch (const HttpError& error) {
        return error.status() >= 500 ? Outcome::server_error : Outcome::client_error;
    } catch (const TimeoutError&) {
        return Outcome::timeout;
    } catch (const ConnectionError&) {
        return Outcome::connection_error;
    }
}

// The client threads. Each sends one request per interval until stopped,
// and waits for the interval after a rejection too.
class Workers {
public:
    Workers(int count, const Scenario& scenario, std::uint64_t seed, const std::string& base_url,
            fg::CircuitBreaker& breaker, Recorder& recorder, Console& console, Clock::time_point start)
        : scenario_(scenario), breaker_(breaker), recorder_(recorder), console_(console) {
        for (int i = 0; i < count; ++i) {
            // Spread the first requests over one interval instead of sending them together.
            const Clock::time_point first = start + scenario.request_interval * i / count;
            const std::uint64_t worker_seed = seed * 1'000'003 + static_cast<std::uint64_t>(i);
            threads_.emplace_back([this, base_url, first, worker_seed] { run(base_url, first, worker_seed); });
        }
    }

    Workers(const Workers&) = delete;
    Workers& operator=(const Workers&) = delete;
    ~Workers() { stop(); }

    // Stops the threads after their current request and waits for them.
    void stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_all();
        for (std::thread& thread : threads_) {
            if (thread.joinable()) {
                thread.join();
            }
        }
    }

private:
    // Waits until `deadline`; returns false if the workers are stopping.
    bool wait_until(Clock::time_point deadline) {
        std::unique_lock lock(mutex_);
        return !wake_.wait_until(lock, deadline, [this] { return stopping_; });
    }

    void run(const std::string& base_url, Clock::time_point next, std::uint64_t seed) {
        try {
            HttpClient client(base_url, scenario_.request_timeout);
            std::mt19937_64 random(seed);
            std::bernoulli_distribution missing(scenario_.missing_share);
            const std::int64_t first_missing = scenario_.upstream.first_missing_id;
            std::uniform_int_distribution<std::int64_t> known_id(1, first_missing - 1);

            while (wait_until(next)) {
                const std::int64_t id = known_id(random) + (missing(random) ? first_missing : 0);
                const double started_s = recorder_.elapsed_s();
                const Outcome outcome = call_once(breaker_, client, "/items/" + std::to_string(id));
                recorder_.count(outcome, started_s, recorder_.elapsed_s());
                // Keep the pace after a slow call instead of sending a burst to catch up.
                next = std::max(next + scenario_.request_interval, Clock::now());
            }
        } catch (const std::exception& error) {
            console_.line(std::string("fluxgate-demo: a client thread stopped: ") + error.what());
        }
    }

    const Scenario& scenario_;
    fg::CircuitBreaker& breaker_;
    Recorder& recorder_;
    Console& console_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

std::string describe_phase(const Scenario& scenario, PhaseKind kind) {
    switch (kind) {
        case PhaseKind::healthy: return "the upstream responds to every request";
        case PhaseKind::errors:
            return format("the upstream responds to %.0f%% of requests with 503", scenario.upstream.error_share * 100);
        case PhaseKind::slow:
            return format("the upstream delays every response by %lld-%lld ms; the client gives up after %lld ms",
                          static_cast<long long>(scenario.upstream.slow_min.count()),
                          static_cast<long long>(scenario.upstream.slow_max.count()),
                          static_cast<long long>(scenario.request_timeout.count()));
        case PhaseKind::down: return "the upstream process is killed: connections are refused";
        case PhaseKind::recovered: return "the upstream is restarted and healthy again";
    }
    return "";
}

std::string rate_text(const std::optional<double>& rate) {
    return rate ? format("%5.0f%%", *rate * 100) : std::string("     -");
}

constexpr const char* kTableHeader = "  time  phase      state         ok  fail   rej   4xx  fail%  slow%";

// Prints the line for second `second`, with the breaker's state and window now.
void print_row(Console& console, const Scenario& scenario, const Recorder& recorder, std::size_t second,
               const fg::Info& info) {
    const OutcomeCounts counts = recorder.second(second);
    const PhaseKind phase = scenario.phase_at(static_cast<double>(second) + 0.5).kind;
    console.line(format("%5zus  %-9s  %-10s %5lld %5lld %5lld %5lld %s %s", second + 1,
                        std::string(to_string(phase)).c_str(), std::string(fg::to_string(info.state)).c_str(),
                        static_cast<long long>(counts[Outcome::succeeded]), static_cast<long long>(counts.failed()),
                        static_cast<long long>(counts.rejected()), static_cast<long long>(counts[Outcome::client_error]),
                        rate_text(info.metrics.failure_rate()).c_str(),
                        rate_text(info.metrics.slow_rate(scenario.slow_threshold)).c_str()));
}

// Waits until `deadline` or a stop signal; returns the signal, or 0.
int wait_for_signal(const sigset_t& signals, Clock::time_point deadline) {
    const auto left = std::max(deadline - Clock::now(), Clock::duration::zero());
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(left);
    const timespec timeout{static_cast<time_t>(seconds.count()),
                           static_cast<long>(std::chrono::nanoseconds(left - seconds).count())};
    const int signal = sigtimedwait(&signals, nullptr, &timeout);
    return signal > 0 ? signal : 0;
}

bool write_file(const std::string& path, const std::string& content) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << content;
    file.close();
    return static_cast<bool>(file);
}


// Starts the upstream, takes it through the phases and stops it, keeping the
// process ids of every upstream it started.
class UpstreamControl {
public:
    UpstreamControl(const Scenario& scenario, Console& console, UpstreamLaunch launch)
        : scenario_(scenario), console_(console), launch_(std::move(launch)) {}

    // Starts the first upstream; afterwards `port()` is the port it listens on.
    // Throws `UpstreamError`.
    void start() {
        upstream_.emplace(UpstreamProcess::start(launch_));
        launch_.port = upstream_->port();
        pids_.push_back(upstream_->pid());
    }

    // Makes the upstream behave as in `phase`, killing or restarting it as
    // needed. Returns false if it could not be restarted.
    bool enter(const Phase& phase, double now_s) {
        const std::string prefix = stamp(now_s) + "-- phase " + std::string(to_string(phase.kind)) + ": ";
        const std::string description = describe_phase(scenario_, phase.kind);
        if (phase.kind == PhaseKind::down) {
            console_.line(prefix + description + format(" (pid %d)", upstream_->pid()));
            upstream_->kill();
            return true;
        }
        if (upstream_->running()) {
            upstream_->set_phase(phase.kind);
            console_.line(prefix + description);
            return true;
        }
        try {
            launch_.phase = phase.kind;
            upstream_.emplace(UpstreamProcess::start(launch_));
            pids_.push_back(upstream_->pid());
            console_.line(prefix + description + format(" (pid %d, port %d)", upstream_->pid(), upstream_->port()));
            return true;
        } catch (const UpstreamError& error) {
            console_.line(std::string("fluxgate-demo: cannot restart the upstream: ") + error.what());
            return false;
        }
    }

    // Kills and reaps the upstream if it runs.
    void stop() noexcept { upstream_.reset(); }

    [[nodiscard]] int port() const noexcept { return launch_.port; }
    [[nodiscard]] pid_t pid() const noexcept { return upstream_ ? upstream_->pid() : -1; }
    [[nodiscard]] const std::vector<pid_t>& pids() const noexcept { return pids_; }

private:
    const Scenario& scenario_;
    Console& console_;
    UpstreamLaunch launch_;
    std::optional<UpstreamProcess> upstream_;
    std::vector<pid_t> pids_;
};

}  // namespace

int run_demo(const RunOptions& options) {
    const Scenario scenario = make_scenario(options.duration_s);
    Console console(options.json ? stderr : stdout);

    // Every thread started from here on inherits the blocked set, so only
    // the timeline loop below receives these signals, through sigtimedwait.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    // Writing to an upstream that was killed must fail with EPIPE, not end the demo.
    std::signal(SIGPIPE, SIG_IGN);

    std::optional<UpstreamControl> upstream;
    try {
        upstream.emplace(scenario, console,
                         UpstreamLaunch{current_executable(), options.port, options.threads, options.seed,
                                        PhaseKind::healthy});
        upstream->start();
    } catch (const UpstreamError& error) {
        std::fprintf(stderr, "fluxgate-demo: cannot start the upstream: %s\n", error.what());
        return 1;
    }
    const std::string base_url = "http://127.0.0.1:" + std::to_string(upstream->port());

    console.line(format("fluxgate demo: %d threads -> %s/items/<id> (upstream pid %d), %.0f s, seed %llu",
                        options.threads, base_url.c_str(), static_cast<int>(upstream->pid()), options.duration_s,
                        static_cast<unsigned long long>(options.seed)));
    console.line("breaker:  " + scenario.describe_breaker());
    console.line("timeline: " + scenario.describe_timeline());

    const Clock::time_point start = Clock::now();
    Recorder recorder(scenario, start);
    MetricsRegistry metrics;
    fg::CircuitBreaker breaker(breaker_options(scenario, options.seed, console, recorder, metrics));
#ifdef FLUXGATE_DEMO_HAS_PROMETHEUS
    // Prometheus can scrape the breaker for as long as the run lasts.
    const fg::prometheus::BreakerRegistration registration = metrics.add_breaker(breaker);
    std::optional<fg::prometheus::MetricsServer> metrics_server;
    try {
        metrics_server.emplace(metrics, fg::prometheus::MetricsServerOptions{
                                            .port = static_cast<std::uint16_t>(options.metrics_port)});
    } catch (const std::exception& error) {
        std::fprintf(stderr, "fluxgate-demo: cannot serve metrics on 127.0.0.1:%d: %s\n", options.metrics_port,
                     error.what());
        return 1;
    }
    console.line("metrics:  " + metrics_server->url() + " (Prometheus text format)");
#endif
    console.line("");
    console.line(kTableHeader);
    Workers workers(options.threads, scenario, options.seed, base_url, breaker, recorder, console, start);

    // The timeline: wake at every quarter second and at every phase change.
    constexpr auto kTick = std::chrono::milliseconds(250);
    const auto duration = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(scenario.duration_s));
    std::size_t current_phase = 0;
    std::size_t next_row = 0;
    int stop_signal = 0;
    int status = 0;
    for (;;) {
        const Clock::time_point now = Clock::now();
        const double now_s = recorder.elapsed_s(now);

        // Rows first, so that a row's counts all belong before the phase line that follows it.
        const fg::Info info = breaker.info();
        recorder.sample(info, scenario.slow_threshold);
        for (; static_cast<double>(next_row + 1) <= now_s; ++next_row) {
            print_row(console, scenario, recorder, next_row, info);
        }
        if (now - start >= duration) {
            break;
        }

        const std::size_t phase_index = scenario.phase_index_at(now_s);
        while (current_phase < phase_index && status == 0) {
            if (!upstream->enter(scenario.phases[++current_phase], now_s)) {
                status = 1;
            }
        }
        if (status != 0) {
            break;
        }

        // Wake at the next quarter second, or earlier at the next phase change or the end.
        Clock::time_point wake = start + ((now - start) / kTick + 1) * kTick;
        if (current_phase + 1 < scenario.phases.size()) {
            const auto phase_start = std::chrono::duration_cast<Clock::duration>(
                std::chrono::duration<double>(scenario.phases[current_phase + 1].start_s));
            wake = std::min(wake, start + phase_start);
        }
        wake = std::min(wake, start + duration);
        stop_signal = wait_for_signal(stop_signals, wake);
        if (stop_signal != 0) {
            console.line(stamp(recorder.elapsed_s()) + "-- " + (stop_signal == SIGINT ? "SIGINT" : "SIGTERM") +
                         ": stopping the client threads and the upstream");
            break;
        }
    }

    workers.stop();
    const double elapsed_s = recorder.elapsed_s();
    upstream->stop();

    const Summary summary = summarize(scenario, recorder, breaker.info(), elapsed_s, stop_signal != 0, upstream->pids());
    console.line("");
    for (const std::string& line : summary_lines(summary)) {
        console.line(line);
    }
    if (options.timeline_path) {
        if (write_file(*options.timeline_path, timeline_svg(scenario, recorder, summary, options.threads))) {
            console.line("  timeline written to " + *options.timeline_path);
        } else {
            console.line("fluxgate-demo: cannot write the timeline to " + *options.timeline_path + ": " +
                         std::strerror(errno));
            status = 1;
        }
    }
    if (options.json) {
        std::printf("%s\n", summary_json(scenario, summary, options.threads, options.seed, upstream->port()).dump(2).c_str());
        std::fflush(stdout);
    }
    return stop_signal != 0 ? 128 + stop_signal : status;
}

}  // namespace demo
