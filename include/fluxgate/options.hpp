#pragma once

/// @file
/// `Options`: everything a breaker is built from.

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include <fluxgate/clock.hpp>
#include <fluxgate/listeners.hpp>
#include <fluxgate/permits.hpp>
#include <fluxgate/retries.hpp>
#include <fluxgate/trackers.hpp>
#include <fluxgate/trippers.hpp>
#include <fluxgate/windows.hpp>

namespace fluxgate {

namespace detail {

/// Holds an immutable component of any type derived from `Interface`.
/// Copies share the component, which is safe because components are used
/// only through `const` calls.
template <class Interface>
class SharedComponent {
public:
    template <class T>
        requires std::derived_from<std::remove_cvref_t<T>, Interface>
    SharedComponent(T&& component)  // NOLINT(google-explicit-constructor): fields accept any component
        : ptr_(std::make_shared<const std::remove_cvref_t<T>>(std::forward<T>(component))) {}

    /// Shares a component the caller already owns; a null pointer is
    /// rejected when the breaker is built.
    SharedComponent(std::shared_ptr<const Interface> component)  // NOLINT(google-explicit-constructor)
        : ptr_(std::move(component)) {}

    [[nodiscard]] const Interface& operator*() const noexcept { return *ptr_; }
    [[nodiscard]] const Interface* operator->() const noexcept { return ptr_.get(); }
    [[nodiscard]] const std::shared_ptr<const Interface>& shared() const noexcept { return ptr_; }

private:
    std::shared_ptr<const Interface> ptr_;
};

/// Holds a window of any copyable type derived from `windows::Window`.
/// Copying the holder copies the window, so two breakers built from one
/// `Options` never share a window.
class WindowHolder {
public:
    template <class T>
        requires std::derived_from<std::remove_cvref_t<T>, windows::Window> &&
                 std::copy_constructible<std::remove_cvref_t<T>>
    WindowHolder(T&& window)  // NOLINT(google-explicit-constructor): the field accepts any window
        : window_(std::make_unique<std::remove_cvref_t<T>>(std::forward<T>(window))),
          copy_(&copy_as<std::remove_cvref_t<T>>) {}

    WindowHolder(const WindowHolder& other) : window_(other.copy_(*other.window_)), copy_(other.copy_) {}
    WindowHolder(WindowHolder&&) noexcept = default;
    WindowHolder& operator=(const WindowHolder& other) {
        if (this != &other) {
            window_ = other.copy_(*other.window_);
            copy_ = other.copy_;
        }
        return *this;
    }
    WindowHolder& operator=(WindowHolder&&) noexcept = default;
    ~WindowHolder() = default;

    [[nodiscard]] windows::Window& operator*() const noexcept { return *window_; }
    [[nodiscard]] windows::Window* operator->() const noexcept { return window_.get(); }

    /// Moves the window out; the holder is then empty.
    [[nodiscard]] std::unique_ptr<windows::Window> release() noexcept { return std::move(window_); }

private:
    template <class T>
    static std::unique_ptr<windows::Window> copy_as(const windows::Window& window) {
        return std::make_unique<T>(static_cast<const T&>(window));
    }

    std::unique_ptr<windows::Window> window_;
    std::unique_ptr<windows::Window> (*copy_)(const windows::Window&);
};

}  // namespace detail

/// Everything a breaker is built from. An aggregate: set the fields you need
/// with designated initializers, in this order, and the rest keep their
/// defaults. A component field accepts any value of a class derived from its
/// interface, composites built with `&`, `|` and `~` included.
struct Options {
    detail::WindowHolder window = windows::CountWindow(100);
    detail::SharedComponent<trackers::Tracker> tracker = trackers::All();
    detail::SharedComponent<trippers::Tripper> tripper = trippers::MinRequests(100) & trippers::FailureRate(0.5);
    detail::SharedComponent<retries::Retry> retry = retries::Cooldown(std::chrono::seconds(60));
    detail::SharedComponent<permits::Permit> permit = permits::RampUp(0.1, 1.0, std::chrono::seconds(60));
    /// Probes that may run at once while HALF_OPEN; must be at least 1.
    std::int64_t max_half_open_calls = 10;
    std::vector<listeners::Listener> listeners = {};
    /// Time source; must not be null.
    std::shared_ptr<Clock> clock = system_clock();
    /// Name used in error messages and in `CallNotPermittedError`.
    std::string name = "circuit";
};

}  // namespace fluxgate
