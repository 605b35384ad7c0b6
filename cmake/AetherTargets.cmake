# Small helpers that keep each component's CMakeLists.txt a few lines long.

# GCC 12 reports -Wrestrict inside libstdc++'s std::string at -O2 where there is
# no overlap (GCC bug 105329), e.g. assigning a literal to a protobuf map value.
set(AETHER_WARNINGS -Wall -Wextra -Werror -Wno-missing-field-initializers
    $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>)

# aether_library(NAME <name> SRCS <files> DEPS <targets> [PRIVATE_DEPS <targets>])
# Builds libs/<name> as target aether_<name> (alias aether::<name>) with
# include/ as its public include directory.
function(aether_library)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  set(target aether_${A_NAME})
  if(A_SRCS)
    add_library(${target} STATIC ${A_SRCS})
    target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include
                                         PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
    target_link_libraries(${target} PUBLIC ${A_DEPS} PRIVATE ${A_PRIVATE_DEPS})
    target_compile_options(${target} PRIVATE ${AETHER_WARNINGS})
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${CMAKE_CURRENT_SOURCE_DIR}/include)
    target_link_libraries(${target} INTERFACE ${A_DEPS})
  endif()
  add_library(aether::${A_NAME} ALIAS ${target})
endfunction()

# aether_test(NAME <name> SRCS <files> DEPS <targets> LABELS unit|integration [TIMEOUT s])
# A Catch2 test executable registered with ctest, each TEST_CASE a ctest test.
function(aether_test)
  cmake_parse_arguments(A "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 300)
  endif()
  add_executable(${A_NAME} ${A_SRCS})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} aether_catch_main)
  target_compile_options(${A_NAME} PRIVATE ${AETHER_WARNINGS})
  catch_discover_tests(${A_NAME}
    TEST_PREFIX "${A_NAME}: "
    PROPERTIES LABELS "${A_LABELS}" TIMEOUT ${A_TIMEOUT})
endfunction()

# aether_executable(NAME <binary> SRCS <files> DEPS <targets>)
function(aether_executable)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS})
  target_compile_options(${A_NAME} PRIVATE ${AETHER_WARNINGS})
  target_compile_definitions(${A_NAME} PRIVATE AETHER_VERSION="${PROJECT_VERSION}")
endfunction()

# One shared Catch2 main for every test binary; it also sets AETHER_SOURCE_DIR
# and AETHER_BINARY_DIR for the tests (see the file for why not via ctest).
add_library(aether_catch_main STATIC ${CMAKE_CURRENT_LIST_DIR}/aether_catch_main.cpp)
target_link_libraries(aether_catch_main PUBLIC Catch2::Catch2)
target_compile_definitions(aether_catch_main PRIVATE
  AETHER_SOURCE_DIR="${PROJECT_SOURCE_DIR}" AETHER_BINARY_DIR="${PROJECT_BINARY_DIR}")
