#pragma once

// Draws a run as an SVG picture: the phases and the breaker's states as
// coloured bands over time, the window's failure and slow rates, and the
// calls per second by outcome.

#include <string>

#include "recorder.hpp"
#include "scenario.hpp"
#include "summary.hpp"

namespace demo {

/// Returns the SVG document of a run.
[[nodiscard]] std::string timeline_svg(const Scenario& scenario, const Recorder& recorder, const Summary& summary,
                                       int threads);

}  // namespace demo
