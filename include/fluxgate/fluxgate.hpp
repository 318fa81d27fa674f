#pragma once

/// @file
/// The core of fluxgate: `#include <fluxgate/fluxgate.hpp>` brings in every
/// component family and `CircuitBreaker`.

#include <fluxgate/circuit_breaker.hpp>
#include <fluxgate/clock.hpp>
#include <fluxgate/errors.hpp>
#include <fluxgate/info.hpp>
#include <fluxgate/listeners.hpp>
#include <fluxgate/metric.hpp>
#include <fluxgate/options.hpp>
#include <fluxgate/permits.hpp>
#include <fluxgate/retries.hpp>
#include <fluxgate/state.hpp>
#include <fluxgate/trackers.hpp>
#include <fluxgate/trippers.hpp>
#include <fluxgate/version.hpp>
#include <fluxgate/windows.hpp>
