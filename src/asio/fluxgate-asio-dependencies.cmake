# Re-creates fluxgate_deps::asio, which fluxgate::asio links, before the
# package's targets file is read. Installed beside fluxgate-config.cmake.

include("${CMAKE_CURRENT_LIST_DIR}/fluxgate-find-deps.cmake")
fluxgate_find_asio()
if(NOT ASIO_FOUND)
  if("asio" IN_LIST fluxgate_FIND_COMPONENTS)
    set(fluxgate_FOUND FALSE)
    set(fluxgate_NOT_FOUND_MESSAGE
        "fluxgate::asio needs standalone Asio: install the Debian package libasio-dev")
  else()
    message(STATUS "fluxgate: standalone Asio (libasio-dev) not found, fluxgate::asio cannot be used")
  endif()
endif()
