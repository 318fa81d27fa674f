#pragma once

// A small blocking HTTP client on libcurl that reports every way a request
// can go wrong as a typed exception, so that a breaker's tracker can tell
// them apart.

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

#include <curl/curl.h>

namespace demo {

/// The request never got an HTTP response.
class TransportError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// The connection was refused, reset or closed before a response arrived.
class ConnectionError final : public TransportError {
public:
    using TransportError::TransportError;
};

/// No complete response arrived within the client's timeout.
class TimeoutError final : public TransportError {
public:
    using TransportError::TransportError;
};

/// The server responded with a status of 400 or more.
class HttpError final : public std::runtime_error {
public:
    explicit HttpError(long status);

    [[nodiscard]] long status() const noexcept { return status_; }

private:
    long status_;
};

/// Sends GET requests to one base URL over a reused connection.
///
/// `curl_global_init` must have been called before the first client is built.
///
/// Thread safety: distinct objects, safe; shared object, unsafe.
class HttpClient {
public:
    /// Builds a client for `base_url` (for example `http://127.0.0.1:8080`)
    /// whose requests time out after `timeout`, connection included.
    /// Throws `std::runtime_error` if libcurl cannot create a handle.
    HttpClient(std::string base_url, std::chrono::milliseconds timeout);
    ~HttpClient();

    HttpClient(const HttpClient&) = delete;
    HttpClient& operator=(const HttpClient&) = delete;

    /// Sends `GET <base_url><path>` and returns the status of a successful response.
    /// Throws `HttpError` for a status of 400 or more, `TimeoutError` and
    /// `ConnectionError` when no response arrived.
    long get(std::string_view path);

private:
    static std::size_t append_body(char* data, std::size_t size, std::size_t count, void* client) noexcept;

    CURL* handle_;
    std::string base_url_;
    std::chrono::milliseconds timeout_;
    std::string body_;
    char error_buffer_[CURL_ERROR_SIZE] = {};
};

}  // namespace demo
