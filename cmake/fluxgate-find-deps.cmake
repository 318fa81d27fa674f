# Locates the Debian-packaged libraries that the optional components use and
# wraps each in an imported target. Each fluxgate_find_* sets <NAME>_FOUND.
# The installed package config includes this file too, so consumers of the
# static component libraries find the same dependencies.

include_guard(GLOBAL)

# Standalone Asio (libasio-dev) ships no CMake package: find its header.
function(fluxgate_find_asio)
  if(TARGET fluxgate_deps::asio)
    set(ASIO_FOUND TRUE PARENT_SCOPE)
    return()
  endif()
  find_path(FLUXGATE_ASIO_INCLUDE_DIR asio.hpp)
  find_package(Threads REQUIRED)
  if(FLUXGATE_ASIO_INCLUDE_DIR)
    add_library(fluxgate_deps::asio INTERFACE IMPORTED GLOBAL)
    target_include_directories(fluxgate_deps::asio INTERFACE ${FLUXGATE_ASIO_INCLUDE_DIR})
    target_compile_definitions(fluxgate_deps::asio INTERFACE ASIO_STANDALONE ASIO_NO_DEPRECATED)
    target_link_libraries(fluxgate_deps::asio INTERFACE Threads::Threads)
    set(ASIO_FOUND TRUE PARENT_SCOPE)
  else()
    set(ASIO_FOUND FALSE PARENT_SCOPE)
  endif()
endfunction()

# cpp-httplib (libcpp-httplib-dev) is a compiled library found through pkg-config.
function(fluxgate_find_httplib)
  if(TARGET PkgConfig::HTTPLIB)
    set(HTTPLIB_FOUND TRUE PARENT_SCOPE)
    return()
  endif()
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(HTTPLIB QUIET IMPORTED_TARGET GLOBAL cpp-httplib)
  endif()
  set(HTTPLIB_FOUND ${HTTPLIB_FOUND} PARENT_SCOPE)
endfunction()

# libcurl (libcurl4-openssl-dev) through CMake's FindCURL module, and
# nlohmann-json (nlohmann-json3-dev) through its CMake package.
function(fluxgate_find_curl_json)
  find_package(CURL QUIET)
  find_package(nlohmann_json 3 QUIET)
  if(CURL_FOUND AND nlohmann_json_FOUND)
    set(CURL_JSON_FOUND TRUE PARENT_SCOPE)
  else()
    set(CURL_JSON_FOUND FALSE PARENT_SCOPE)
  endif()
endfunction()
