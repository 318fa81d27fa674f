# Finds what fluxgate::slack links privately, so that consumers of the static
# library can link it. Included by fluxgate-config.cmake when the component
# was installed.
include(CMakeFindDependencyMacro)
find_dependency(CURL)
find_dependency(nlohmann_json 3)
