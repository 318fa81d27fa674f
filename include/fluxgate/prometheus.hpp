#pragma once

/// @file
/// Prometheus export: breaker states, transitions and call metrics in the
/// text exposition format 0.0.4, and an HTTP endpoint that serves them.
///
/// Part of the optional target `fluxgate::prometheus`, built when
/// cpp-httplib is installed.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <fluxgate/state.hpp>

namespace fluxgate {

class CircuitBreaker;

namespace listeners {
class PrometheusListener;
}  // namespace listeners

namespace prometheus {

namespace detail {
struct RegistryState;
}  // namespace detail

class BreakerRegistration;
class MetricsServer;

/// The content type of `Registry::render()`'s output, as the endpoint sends it.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

/// A set of breaker series, rendered together in the text exposition format 0.0.4.
///
/// Two sources fill a registry:
/// - `listeners::PrometheusListener` keeps `circuit_breaker_state` and
///   `circuit_breaker_state_transition_total` up to date on every transition.
/// - `add_breaker` registers a breaker whose call counters and window
///   metrics are read when the registry is rendered, so a breaker's calls
///   cost nothing extra between scrapes.
///
/// ```cpp
/// fluxgate::prometheus::Registry registry;
/// fluxgate::CircuitBreaker breaker{{
///     .listeners = {fluxgate::listeners::PrometheusListener("payments", registry)},
///     .name = "payments",
/// }};
/// auto registration = registry.add_breaker(breaker);
/// std::string text = registry.render();
/// ```
///
/// Listeners, registrations and servers share the registry's contents, so
/// they stay valid if the `Registry` object is destroyed first. Their
/// series are then no longer rendered anywhere.
///
/// Thread safety: distinct objects, safe; shared object, safe.
class Registry {
public:
    /// Creates an empty registry.
    Registry();
    ~Registry();

    Registry(const Registry&) = delete;
    Registry& operator=(const Registry&) = delete;

    /// Publishes the call metrics of `breaker` under its `name()`.
    ///
    /// The breaker must outlive the returned registration. Throws
    /// `std::invalid_argument` if the name is empty or already registered.
    [[nodiscard]] BreakerRegistration add_breaker(const CircuitBreaker& breaker);

    /// Publishes the call metrics of `breaker` under `circuit_name`.
    ///
    /// The breaker must outlive the returned registration. Throws
    /// `std::invalid_argument` if `circuit_name` is empty or already registered.
    [[nodiscard]] BreakerRegistration add_breaker(std::string circuit_name, const CircuitBreaker& breaker);

    /// Renders every series in the text exposition format 0.0.4.
    ///
    /// Reads `info()` of every registered breaker, holding the registry's
    /// lock meanwhile. A breaker whose `info()` throws is left out of this
    /// rendering and the error goes to `fluxgate::report_error`.
    [[nodiscard]] std::string render() const;

private:
    friend class MetricsServer;
    friend class ::fluxgate::listeners::PrometheusListener;

    std::shared_ptr<detail::RegistryState> state_;
};

/// Returns the process-wide registry that listeners and servers use when
/// they are given none.
[[nodiscard]] Registry& default_registry();

/// Keeps a breaker registered in a `Registry`; destroying it, or calling
/// `reset()`, removes the breaker's series. Move-only.
///
/// Once `reset()` or the destructor returns, the registry no longer reads
/// the breaker, so the breaker may be destroyed right after.
///
/// Thread safety: distinct objects, safe; shared object, unsafe.
class [[nodiscard]] BreakerRegistration {
public:
    /// Creates an empty registration.
    BreakerRegistration() noexcept = default;

    /// Takes over `other`'s registration; `other` then registers nothing.
    BreakerRegistration(BreakerRegistration&& other) noexcept;
    /// Ends this registration, then takes over `other`'s.
    BreakerRegistration& operator=(BreakerRegistration&& other) noexcept;
    BreakerRegistration(const BreakerRegistration&) = delete;
    BreakerRegistration& operator=(const BreakerRegistration&) = delete;

    ~BreakerRegistration() { reset(); }

    /// Removes the breaker from the registry. Does nothing if it was already removed.
    void reset() noexcept;

    /// Returns true until `reset()` or a move out of this object.
    [[nodiscard]] bool active() const noexcept { return id_ != 0; }

private:
    friend class Registry;

    BreakerRegistration(std::shared_ptr<detail::RegistryState> registry, std::string circuit_name,
                        std::uint64_t id) noexcept;

    std::shared_ptr<detail::RegistryState> registry_;
    std::string circuit_name_;
    std::uint64_t id_ = 0;
};

/// Settings of a `MetricsServer`.
struct MetricsServerOptions {
    /// Address to listen on. The default accepts connections from this host
    /// only; name another address, such as `0.0.0.0`, to let remote
    /// Prometheus servers scrape.
    std::string address = "127.0.0.1";
    /// TCP port; 0 picks a free port, which `MetricsServer::port()` returns.
    std::uint16_t port = 0;
    /// Worker threads, so the maximum number of connections served at once.
    /// Further connections wait for a free worker. Must be at least 1.
    int threads = 2;
};

/// An HTTP endpoint that serves a registry at `GET /metrics`.
///
/// ```cpp
/// fluxgate::prometheus::MetricsServer server({.port = 9464});
/// std::cout << "metrics at " << server.url() << '\n';
/// ```
///
/// The server listens from construction until `stop()` or destruction.
/// `GET` and `HEAD` on `/metrics` return the registry's text with the
/// content type `kContentType`. Any other path gets 404, and any other
/// method on `/metrics` gets 405. Request methods that HTTP does not define
/// and malformed requests get 400 from cpp-httplib. A failed rendering
/// gets 500 and goes to `fluxgate::report_error`.
///
/// Thread safety: distinct objects, safe; shared object, safe.
class MetricsServer {
public:
    /// Serves `default_registry()`.
    /// Throws `std::invalid_argument` for invalid options and
    /// `std::runtime_error` if the address cannot be bound.
    explicit MetricsServer(MetricsServerOptions options = {});

    /// Serves `registry`.
    /// Throws `std::invalid_argument` for invalid options and
    /// `std::runtime_error` if the address cannot be bound.
    explicit MetricsServer(const Registry& registry, MetricsServerOptions options = {});

    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    /// Stops the server, as `stop()` does.
    ~MetricsServer();

    /// Returns the address the server listens on.
    [[nodiscard]] const std::string& address() const noexcept;

    /// Returns the bound TCP port, also when the options asked for port 0.
    [[nodiscard]] std::uint16_t port() const noexcept;

    /// Returns the URL of the metrics page, such as `http://127.0.0.1:9464/metrics`.
    [[nodiscard]] std::string url() const;

    /// Stops accepting connections and waits for the requests in progress,
    /// which takes at most about one second for an idle keep-alive
    /// connection and up to the 5 s read timeout for a client that stalls
    /// mid-request. Calling it again does nothing.
    void stop() noexcept;

    /// Returns true from construction until `stop()`, or until the server
    /// stopped accepting connections after an error, which goes to
    /// `fluxgate::report_error`.
    [[nodiscard]] bool running() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// Escapes a label value for the text exposition format: backslash, double
/// quote and line feed become `\\`, `\"` and `\n`. Valid UTF-8 passes
/// through unchanged. Each byte that is not part of a valid UTF-8 sequence
/// becomes U+FFFD, because Prometheus rejects a scrape with invalid UTF-8.
[[nodiscard]] std::string escape_label_value(std::string_view value);

}  // namespace prometheus

namespace listeners {

/// Publishes a breaker's transitions to a Prometheus registry, in the two
/// series of the original fluxgate:
///
/// - `circuit_breaker_state{circuit_name, state}`: 1 for the current state,
///   0 for the other five. All six exist from construction, with `closed` at 1.
/// - `circuit_breaker_state_transition_total{circuit_name, old_state, new_state}`:
///   transitions counted per pair of states; a pair appears at its first transition.
///
/// ```cpp
/// fluxgate::CircuitBreaker breaker{{
///     .listeners = {fluxgate::listeners::PrometheusListener("payments")},
/// }};
/// ```
///
/// Copies share their series, so the copy a breaker keeps and the one the
/// caller kept update and `close()` the same series. Two listeners built
/// with the same name on one registry also share them: the second one
/// leaves the current values as they are. `operator()` never throws.
///
/// Thread safety: distinct objects, safe; shared object, safe.
class PrometheusListener {
public:
    /// Publishes the transitions of the breaker called `name` to `registry`.
    /// Throws `std::invalid_argument` if `name` is empty.
    explicit PrometheusListener(std::string name,
                                prometheus::Registry& registry = prometheus::default_registry());

    /// Records `signal`: the new state becomes 1 and the transition is counted.
    /// Does nothing after `close()`.
    void operator()(const Signal& signal) const noexcept;

    /// Removes every series of this name from the registry. Later signals
    /// are ignored, by this listener and by every copy of it.
    void close() noexcept;

    /// Returns the name given at construction, used as the `circuit_name` label.
    [[nodiscard]] const std::string& name() const noexcept;

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace listeners

}  // namespace fluxgate
