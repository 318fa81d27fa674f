#pragma once

// A libcurl client that posts JSON with a bearer token, one request at a
// time, and that another thread can interrupt.

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace fluxgate::detail {

/// The outcome of one request.
struct HttpResult {
    enum class Outcome {
        completed,        ///< A response arrived; see `status`.
        timed_out,        ///< The request timeout ran out.
        not_connected,    ///< No connection was made, so nothing was sent.
        transport_error,  ///< Any other failure of the transfer.
        aborted,          ///< The caller's abort flag was set.
    };

    Outcome outcome = Outcome::transport_error;
    /// HTTP status code when `completed`.
    long status = 0;
    std::string body;
    /// Value of a `Retry-After` header given in seconds, or zero.
    std::chrono::seconds retry_after{0};
    /// libcurl's description of the failure when not `completed`.
    std::string error;
};

/// Posts to one URL with one token. Not thread-safe, except `wake`.
class HttpClient {
public:
    struct Config {
        std::string url;
        std::string token;
        std::chrono::milliseconds timeout;
        bool verify_tls = true;
        /// The host is a loopback address: connect directly, bypassing any
        /// proxy from the environment.
        bool loopback = false;
    };

    /// Throws `std::runtime_error` if libcurl cannot be set up.
    explicit HttpClient(const Config& config);
    ~HttpClient();

    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    /// Posts `body` as `application/json` and waits for the response. Returns
    /// `aborted` soon after `abort` becomes true and `wake` is called.
    [[nodiscard]] HttpResult post(const std::string& body, const std::atomic<bool>& abort);

    /// Makes a `post` in progress on another thread check its abort flag now.
    /// Safe to call from any thread while the client exists.
    void wake() noexcept;

private:
    struct Handles;
    std::unique_ptr<Handles> handles_;
};

/// The parts of a URL that decide how it may be used.
struct UrlParts {
    std::string scheme;  ///< Lower case, such as `https`.
    std::string host;    ///< As libcurl reports it; an IPv6 address keeps its brackets.
};

/// Splits `url` with libcurl's parser; returns nothing if it is not an
/// absolute URL.
[[nodiscard]] std::optional<UrlParts> split_url(const std::string& url);

/// Returns true when `host`, as libcurl reports it, is 127.0.0.1 or ::1.
[[nodiscard]] bool is_loopback_host(const std::string& host) noexcept;

}  // namespace fluxgate::detail
