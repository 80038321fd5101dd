# Shared build settings: dependencies (Debian packages, found through pkg-config),
# warnings, sanitizers and the helper that declares one static library per module.

# Assertions stay on in every build type: they guard our own invariants, never peer input,
# and a broken invariant must stop the node rather than let it run on corrupt state.
set(CMAKE_C_FLAGS_RELEASE "-O2" CACHE STRING "" FORCE)
set(CMAKE_C_FLAGS_RELWITHDEBINFO "-O2 -g" CACHE STRING "" FORCE)

find_package(PkgConfig REQUIRED)
pkg_check_modules(SECP256K1 REQUIRED IMPORTED_TARGET libsecp256k1)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)

set(HS_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Wvla
  -Wstrict-prototypes -Wmissing-prototypes -Wold-style-definition -Wformat=2
  -Wundef -Wcast-align -Wpointer-arith -Wnull-dereference -Wimplicit-fallthrough
  -Wmissing-declarations -Wredundant-decls -Wwrite-strings
  -Werror=implicit-function-declaration -Werror=incompatible-pointer-types)
if(HS_WERROR)
  list(APPEND HS_WARNINGS -Werror)
endif()

set(HS_SAN_FLAGS "")
if(HS_SANITIZE)
  set(HS_SAN_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
endif()
if(HS_FUZZ)
  # Everything is instrumented for coverage; only fuzz targets link the libFuzzer main.
  set(HS_SAN_FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
                   -fno-omit-frame-pointer)
endif()
add_compile_options(${HS_SAN_FLAGS})
add_link_options(${HS_SAN_FLAGS})
add_compile_definitions(HS_VERSION="${PROJECT_VERSION}")

# hs_module(NAME DIR [DEPS ...]): a static library from every .c file in DIR.
# The public API lives in include/hearsay/ (installed); a module's own headers live next to its
# sources and are included as "module/name.h" from the source root. A module links only the
# modules it names, and the layers ctest (scripts/check_layers.py) fails on an include above
# its layer.
function(hs_module name)
  cmake_parse_arguments(M "" "" "DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.c)
  if(NOT srcs)
    # A module with no sources yet is an interface library, so its users still configure.
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR})
    target_link_libraries(${name} INTERFACE ${M_DEPS})
    return()
  endif()
  add_library(${name} STATIC ${srcs})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}
                                     PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${HS_WARNINGS})
  target_link_libraries(${name} PUBLIC ${M_DEPS})
endfunction()
