// fluxgate-demo: one circuit breaker protecting real HTTP calls to an
// upstream service that fails on a script. See docs/demo.md.

#include <cstdio>
#include <string>

#include <curl/curl.h>

#include "cli.hpp"
#include "run.hpp"
#include "upstream_server.hpp"

int main(int argc, char** argv) {
    demo::CommandLine command;
    try {
        command = demo::parse_command_line(argc - 1, argv + 1);
    } catch (const demo::UsageError& error) {
        std::fprintf(stderr, "fluxgate-demo: %s\nTry 'fluxgate-demo --help'.\n", error.what());
        return 2;
    }

    switch (command.mode) {
        case demo::CommandLine::Mode::help: std::fputs(demo::usage().c_str(), stdout); return 0;
        case demo::CommandLine::Mode::upstream: return demo::run_upstream(command.upstream, demo::UpstreamBehaviour{});
        case demo::CommandLine::Mode::demo: break;
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        std::fprintf(stderr, "fluxgate-demo: curl_global_init failed\n");
        return 1;
    }
    const int status = demo::run_demo(command.run);
    curl_global_cleanup();
    return status;
}
