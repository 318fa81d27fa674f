#include <fluxgate/circuit_breaker.hpp>

#include <fluxgate/detail/validate.hpp>

namespace fluxgate {

void Permission::finish(bool success, Duration duration) {
    if (machine_ == nullptr) {
        return;
    }
    if (duration < Duration::zero()) {
        detail::throw_invalid("Permission", "duration", "at least 0", detail::format_duration(duration));
    }
    std::exchange(machine_, nullptr)->complete(ticket_, success, duration);
}

}  // namespace fluxgate
