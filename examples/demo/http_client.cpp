#include "http_client.hpp"

#include <string>
#include <utility>

namespace demo {

HttpError::HttpError(long status)
    : std::runtime_error("HTTP status " + std::to_string(status)), status_(status) {}

HttpClient::HttpClient(std::string base_url, std::chrono::milliseconds timeout)
    : handle_(curl_easy_init()), base_url_(std::move(base_url)), timeout_(timeout) {
    if (handle_ == nullptr) {
        throw std::runtime_error("curl_easy_init failed");
    }
    curl_easy_setopt(handle_, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
    // Signals cannot interrupt other threads' requests, so libcurl must not use them for timeouts.
    curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle_, CURLOPT_ERRORBUFFER, error_buffer_);
    curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, &HttpClient::append_body);
    curl_easy_setopt(handle_, CURLOPT_WRITEDATA, this);
    // The upstream only ever listens on the loopback address; never use a proxy from the environment.
    curl_easy_setopt(handle_, CURLOPT_PROXY, "");
}

HttpClient::~HttpClient() { curl_easy_cleanup(handle_); }

std::size_t HttpClient::append_body(char* data, std::size_t size, std::size_t count, void* client) noexcept {
    try {
        static_cast<HttpClient*>(client)->body_.append(data, size * count);
        return size * count;
    } catch (...) {
        return 0;  // libcurl then fails the request with CURLE_WRITE_ERROR
    }
}

long HttpClient::get(std::string_view path) {
    const std::string url = base_url_ + std::string(path);
    body_.clear();
    error_buffer_[0] = '\0';
    curl_easy_setopt(handle_, CURLOPT_URL, url.c_str());

    const CURLcode code = curl_easy_perform(handle_);
    if (code != CURLE_OK) {
        const std::string detail = error_buffer_[0] != '\0' ? error_buffer_ : curl_easy_strerror(code);
        if (code == CURLE_OPERATION_TIMEDOUT) {
            throw TimeoutError("GET " + url + " timed out after " + std::to_string(timeout_.count()) + " ms");
        }
        throw ConnectionError("GET " + url + " failed: " + detail);
    }

    long status = 0;
    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 400) {
        throw HttpError(status);
    }
    return status;
}

}  // namespace demo
