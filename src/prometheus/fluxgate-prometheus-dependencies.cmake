# Included by fluxgate-config.cmake when fluxgate::prometheus was installed.
# A static fluxgate::prometheus links cpp-httplib through PkgConfig::HTTPLIB,
# so consumers need that target too.

include("${CMAKE_CURRENT_LIST_DIR}/fluxgate-find-deps.cmake")
fluxgate_find_httplib()
if(NOT HTTPLIB_FOUND)
  set(fluxgate_FOUND FALSE)
  set(fluxgate_NOT_FOUND_MESSAGE
      "fluxgate::prometheus needs cpp-httplib, found through pkg-config; install libcpp-httplib-dev")
endif()
