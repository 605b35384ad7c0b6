# Every outside dependency, found once, as imported targets. All come from
# Debian's packages (see `make deps`).
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Protobuf REQUIRED)
# cnats: Debian ships a CMake config that names a static archive it does not
# install, so pkg-config it is.
pkg_check_modules(LIBNATS REQUIRED IMPORTED_TARGET libnats)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Catch2 REQUIRED)
find_package(CURL REQUIRED)

pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
find_path(HTTPLIB_INCLUDE_DIR httplib.h REQUIRED)
if(NOT TARGET httplib::httplib)
  add_library(httplib::httplib INTERFACE IMPORTED)
  set_target_properties(httplib::httplib PROPERTIES INTERFACE_INCLUDE_DIRECTORIES ${HTTPLIB_INCLUDE_DIR})
  target_link_libraries(httplib::httplib INTERFACE Threads::Threads)
endif()
include(Catch)
