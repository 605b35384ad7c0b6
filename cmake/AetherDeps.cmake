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
# Per-VM networking (libs/net): nftables batches and rtnetlink.
pkg_check_modules(LIBNFTABLES REQUIRED IMPORTED_TARGET libnftables)
pkg_check_modules(LIBNL_ROUTE REQUIRED IMPORTED_TARGET libnl-route-3.0)
# Debian builds cpp-httplib as a shared library (the header holds declarations
# only) with feature macros that must match: take both from its pkg-config file.
pkg_check_modules(CPP_HTTPLIB REQUIRED IMPORTED_TARGET GLOBAL cpp-httplib)
add_library(httplib::httplib ALIAS PkgConfig::CPP_HTTPLIB)
include(Catch)
