# Sourced by the scripts in this folder: installs the Debian packages the
# build needs when they are missing. Run as root, it installs them with
# apt-get (after one `apt-get update`); otherwise it names what is missing
# and the command that installs it.

fluxgate_install_packages() {
    local missing=()
    local package
    for package in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$package")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi

    if [ "$(id -u)" -ne 0 ]; then
        echo "error: missing Debian packages: ${missing[*]}" >&2
        echo "Install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
        return 1
    fi

    echo "Installing missing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Keep package scripts from starting services, because Debian's
    # prometheus package would start a server on all interfaces. The tests
    # start their own peers on 127.0.0.1.
    local policy=/usr/sbin/policy-rc.d
    local created_policy=false
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod +x "$policy"
        created_policy=true
    fi

    local status=0
    apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}" || status=$?
    if [ "$created_policy" = true ]; then
        rm -f "$policy"
    fi
    return "$status"
}

# Packages that every build needs.
FLUXGATE_BUILD_PACKAGES=(g++ cmake ninja-build pkg-config ca-certificates)

# Optional components and the demo.
FLUXGATE_COMPONENT_PACKAGES=(libasio-dev libcpp-httplib-dev libcurl4-openssl-dev nlohmann-json3-dev)

# Tests, sanitizers, benchmarks, integration peers and the API reference.
FLUXGATE_TEST_PACKAGES=(libgtest-dev libgmock-dev libbenchmark-dev clang libclang-rt-14-dev
                        prometheus curl doxygen)
