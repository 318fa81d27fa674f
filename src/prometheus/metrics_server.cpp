// MetricsServer: serves a registry at GET /metrics through cpp-httplib.

#include <fluxgate/prometheus.hpp>

#include <sys/socket.h>

#include <atomic>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include <httplib.h>

#include <fluxgate/detail/validate.hpp>
#include <fluxgate/errors.hpp>

#include "registry_state.hpp"

namespace fluxgate::prometheus {

namespace {

constexpr std::string_view kMetricsPath = "/metrics";
constexpr const char* kPlainText = "text/plain; charset=utf-8";

// Idle keep-alive connections are closed after this many seconds. A worker
// waits that long on an idle connection before it checks for a stop
// request, so this bounds how long `stop()` takes while Prometheus keeps a
// connection open.
constexpr time_t kKeepAliveTimeoutSeconds = 1;

// Requests carry no body that this server reads.
constexpr std::size_t kMaxPayloadBytes = 64 * 1024;

// Sets SO_REUSEADDR, so a restarted server can bind while old connections
// sit in TIME_WAIT. It replaces cpp-httplib 0.11's default of SO_REUSEPORT,
// which lets a second server bind the same port and take some of the scrapes.
void reuse_address_only(socket_t socket) {
    int enabled = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &enabled, sizeof enabled);
}

std::string host_and_port(const std::string& address, std::uint16_t port) {
    const bool ipv6 = address.find(':') != std::string::npos;
    return (ipv6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

httplib::Server::HandlerResponse route(const httplib::Request& request, httplib::Response& response) {
    if (request.path != kMetricsPath) {
        response.status = 404;
        response.set_content("not found: metrics are served at /metrics\n", kPlainText);
        return httplib::Server::HandlerResponse::Handled;
    }
    if (request.method != "GET" && request.method != "HEAD") {
        response.status = 405;
        response.set_header("Allow", "GET, HEAD");
        response.set_content("method not allowed: use GET /metrics\n", kPlainText);
        return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
}

}  // namespace

struct MetricsServer::Impl {
    std::string address;
    std::uint16_t port = 0;
    httplib::Server server;
    std::thread listening_thread;
    std::atomic<bool> listen_returned{false};
    std::atomic<bool> stopped{false};
    std::mutex stop_mutex;
};

MetricsServer::MetricsServer(MetricsServerOptions options) : MetricsServer(default_registry(), std::move(options)) {}

MetricsServer::MetricsServer(const Registry& registry, MetricsServerOptions options)
    : impl_(std::make_unique<Impl>()) {
    fluxgate::detail::check_at_least("MetricsServer", "threads", options.threads, 1);
    impl_->address = std::move(options.address);

    httplib::Server& server = impl_->server;
    const auto threads = static_cast<std::size_t>(options.threads);
    server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    server.set_socket_options(reuse_address_only);
    server.set_keep_alive_timeout(kKeepAliveTimeoutSeconds);
    server.set_payload_max_length(kMaxPayloadBytes);
    server.set_pre_routing_handler(route);
    server.Get(std::string(kMetricsPath), [registry = registry.state_](const httplib::Request&, httplib::Response& response) {
        try {
            response.set_content(registry->render(), std::string(kContentType));
        } catch (const std::exception& error) {
            report_error(std::string("fluxgate prometheus: rendering /metrics failed: ") + error.what());
            response.status = 500;
            response.set_content("rendering metrics failed\n", kPlainText);
        }
    });

    int port = -1;
    if (options.port == 0) {
        port = server.bind_to_any_port(impl_->address);
    } else if (server.bind_to_port(impl_->address, options.port)) {
        port = options.port;
    }
    if (port <= 0) {
        throw std::runtime_error("MetricsServer: failed to listen on " + host_and_port(impl_->address, options.port) +
                                 "; check that the port is free and that the address belongs to this host");
    }
    impl_->port = static_cast<std::uint16_t>(port);

    impl_->listening_thread = std::thread([impl = impl_.get()] {
        if (!impl->server.listen_after_bind()) {
            report_error("fluxgate prometheus: the metrics server on " + host_and_port(impl->address, impl->port) +
                         " stopped accepting connections");
        }
        impl->listen_returned.store(true);
    });
}

MetricsServer::~MetricsServer() { stop(); }

const std::string& MetricsServer::address() const noexcept { return impl_->address; }

std::uint16_t MetricsServer::port() const noexcept { return impl_->port; }

std::string MetricsServer::url() const { return "http://" + host_and_port(impl_->address, impl_->port) + "/metrics"; }

void MetricsServer::stop() noexcept {
    std::lock_guard lock(impl_->stop_mutex);
    if (impl_->stopped.exchange(true)) {
        return;
    }
    // cpp-httplib's stop() does nothing before the listening thread has
    // marked the server running, so wait until it has, or has given up.
    while (!impl_->server.is_running() && !impl_->listen_returned.load()) {
        std::this_thread::yield();
    }
    impl_->server.stop();
    impl_->listening_thread.join();
}

bool MetricsServer::running() const noexcept { return !impl_->stopped.load() && !impl_->listen_returned.load(); }

}  // namespace fluxgate::prometheus
