// An HTTP client protected by fluxgate::AsyncCircuitBreaker.
//
// The program starts a tiny HTTP server on 127.0.0.1 (a free port chosen by
// the system) that responds with 200, then 503 for a while, then 200 again. A
// client coroutine sends 30 requests to it, 100 ms apart, through the
// breaker: 503 responses count as failures, three in a row open the circuit,
// requests are rejected during a 500 ms cooldown, a failed probe reopens it,
// and a successful probe closes it once the server recovers. Everything runs on one io_context and stops by
// itself after the last request.
//
// Exit status: 0 when the circuit opened and closed again, 1 otherwise.

#include <fluxgate/asio.hpp>
#include <fluxgate/fluxgate.hpp>

#include <asio/buffer.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

using namespace std::chrono_literals;
namespace fg = fluxgate;
using asio::ip::tcp;

namespace {

std::string state_name(fg::State state) { return std::string(fg::to_string(state)); }

constexpr int kRequests = 30;
constexpr auto kRequestInterval = 100ms;
// The server responds with 503 to its requests kFirstFailing to kLastFailing (counted from 1).
constexpr int kFirstFailing = 6;
constexpr int kLastFailing = 10;

// Serves one request per connection, with 503 during the failing phase.
asio::awaitable<void> serve(tcp::socket socket, int request_number) {
    std::string request;
    co_await asio::async_read_until(socket, asio::dynamic_buffer(request), "\r\n\r\n", asio::use_awaitable);

    const bool failing = request_number >= kFirstFailing && request_number <= kLastFailing;
    const std::string body = failing ? "overloaded\n" : "ok\n";
    const std::string response = std::string(failing ? "HTTP/1.1 503 Service Unavailable" : "HTTP/1.1 200 OK") +
                                 "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
                                 "\r\nConnection: close\r\n\r\n" + body;
    co_await asio::async_write(socket, asio::buffer(response), asio::use_awaitable);
}

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor) {
    for (int request_number = 1;; ++request_number) {
        tcp::socket socket = co_await acceptor.async_accept(asio::use_awaitable);
        asio::co_spawn(acceptor.get_executor(), serve(std::move(socket), request_number), asio::detached);
    }
}

// Sends `GET /status` to 127.0.0.1:`port` and returns the status code.
// Connection and protocol errors throw `std::system_error`.
asio::awaitable<int> fetch_status(unsigned short port) {
    tcp::socket socket(co_await asio::this_coro::executor);
    co_await socket.async_connect(tcp::endpoint(asio::ip::address_v4::loopback(), port), asio::use_awaitable);
    const std::string request = "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    co_await asio::async_write(socket, asio::buffer(request), asio::use_awaitable);

    std::string response;
    co_await asio::async_read_until(socket, asio::dynamic_buffer(response), "\r\n", asio::use_awaitable);
    // The status line reads "HTTP/1.1 503 Service Unavailable".
    const std::size_t space = response.find(' ');
    if (space == std::string::npos || response.size() < space + 4) {
        throw std::system_error(std::make_error_code(std::errc::protocol_error), "malformed status line");
    }
    co_return std::stoi(response.substr(space + 1, 3));
}

asio::awaitable<void> client(fg::AsyncCircuitBreaker& breaker, unsigned short port, tcp::acceptor& acceptor) {
    asio::steady_timer pause(co_await asio::this_coro::executor);
    for (int i = 1; i <= kRequests; ++i) {
        try {
            const int status =
                co_await breaker.call_classified(fetch_status, [](int code) { return code >= 500; }, port);
            std::printf("request %2d: HTTP %d (circuit %s)\n", i, status, state_name(breaker.state()).c_str());
        } catch (const fg::CallNotPermittedError& rejection) {
            std::printf("request %2d: not sent, %s; serving the cached answer\n", i, rejection.what());
        } catch (const std::exception& error) {
            std::printf("request %2d: failed: %s\n", i, error.what());
        }
        pause.expires_after(kRequestInterval);
        co_await pause.async_wait(asio::use_awaitable);
    }
    acceptor.close();  // ends accept_loop, so io_context::run() returns
}

}  // namespace

int main() {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    const unsigned short port = acceptor.local_endpoint().port();
    std::printf("server listening on 127.0.0.1:%u\n", static_cast<unsigned>(port));

    int opened = 0;
    int closed = 0;
    fg::AsyncCircuitBreaker breaker(
        fg::Options{
            // Three failures in a row open the circuit; one failed probe reopens it.
            .tripper = fg::trippers::FailureStreak(3) | (fg::trippers::HalfOpened() & fg::trippers::FailureStreak(1)),
            .retry = fg::retries::Cooldown(500ms),
            .permit = fg::permits::All(),
            .max_half_open_calls = 1,
            .listeners = {fg::listeners::LogListener("example-http")},
            .name = "example-http",
        },
        // An async listener, as one that posts to a chat service would be.
        {[&](const fg::Signal& signal) -> asio::awaitable<void> {
            co_await asio::post(co_await asio::this_coro::executor, asio::use_awaitable);
            opened += signal.new_state == fg::State::open ? 1 : 0;
            closed += signal.new_state == fg::State::closed ? 1 : 0;
            std::printf("async listener: %s -> %s\n", state_name(signal.old_state).c_str(),
                        state_name(signal.new_state).c_str());
        }});

    asio::co_spawn(io, accept_loop(acceptor), asio::detached);
    asio::co_spawn(io, client(breaker, port, acceptor), [](std::exception_ptr error) {
        if (error) {
            std::rethrow_exception(error);
        }
    });
    io.run();

    const bool recovered = opened > 0 && closed > 0 && breaker.state() == fg::State::closed;
    std::printf("circuit opened %d times, closed %d times, final state %s\n", opened, closed,
                state_name(breaker.state()).c_str());
    return recovered ? EXIT_SUCCESS : EXIT_FAILURE;
}
