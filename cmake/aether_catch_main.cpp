// The one Catch2 main every test binary links. It gives every test (and the
// processes it starts) AETHER_SOURCE_DIR and AETHER_BINARY_DIR, unless the
// environment already sets them: ctest's ENVIRONMENT property cannot carry
// them through catch_discover_tests, which splits its value at each ';'.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdlib>

int main(int argc, char** argv) {
  ::setenv("AETHER_SOURCE_DIR", AETHER_SOURCE_DIR, 0);
  ::setenv("AETHER_BINARY_DIR", AETHER_BINARY_DIR, 0);
  return Catch::Session().run(argc, argv);
}
