#pragma once

// The upstream HTTP service, run as a child process of the demo so that it
// can really be killed and restarted.
//
// Protocol with the parent: the child writes `listening <port>` or
// `error <message>` as its first line on standard output. Afterwards it
// reads lines `phase <name>` from standard input and changes its behaviour;
// end of input (the parent closed the pipe or died) stops it.

#include <cstdint>
#include <sys/types.h>

#include "scenario.hpp"

namespace demo {

/// Settings of one upstream process, passed on its command line.
struct UpstreamSettings {
    int port = 0;                  ///< 0 binds any free port.
    pid_t parent_pid = 0;          ///< The process that must stay alive; the server stops when it dies.
    int threads = 4;               ///< Client threads, to size the server's thread pool.
    std::uint64_t seed = 1;
    PhaseKind phase = PhaseKind::healthy;
};

/// Serves `GET /items/<id>` on 127.0.0.1 until standard input ends or the
/// parent dies. Returns the process exit status.
int run_upstream(const UpstreamSettings& settings, const UpstreamBehaviour& behaviour);

}  // namespace demo
