#pragma once

// One demo run: the upstream, the client threads, the breaker and the timeline.

#include "cli.hpp"

namespace demo {

/// Runs the demo and returns the exit status: 0 after a full run, 1 if the
/// upstream could not be started or the timeline not written, and 128 plus
/// the signal number after SIGINT or SIGTERM.
///
/// Call from the main thread, after `curl_global_init`, before any other
/// thread is started: it blocks SIGINT and SIGTERM and starts the upstream
/// from this thread.
int run_demo(const RunOptions& options);

}  // namespace demo
