# Included from node/CMakeLists.txt, whose imported dependency targets it links.
# libhearsay: the host API (include/hearsay/) as one shared library (soname libhearsay.so.0,
# exporting only the public API through libhearsay.map) and one static library, both built
# from the objects of every module; hearsay.pc and a CMake package find them once installed.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
set(HS_SOVERSION 0)
set(hs_lib_modules hs_base hs_crypto hs_reputation hs_overlay hs_store hs_node)
set(hs_lib_objects "")
foreach(m ${hs_lib_modules})
  list(APPEND hs_lib_objects $<TARGET_OBJECTS:${m}>)
endforeach()
set(hs_lib_deps PkgConfig::SECP256K1 PkgConfig::SODIUM PkgConfig::UV PkgConfig::JANSSON
    PkgConfig::INIH PkgConfig::MINIUPNPC PkgConfig::MHD ${LEVELDB_LIB} Threads::Threads m)

add_library(hearsay SHARED ${hs_lib_objects})
target_link_libraries(hearsay PRIVATE ${hs_lib_deps})
target_link_options(hearsay PRIVATE
                    -Wl,--version-script=${CMAKE_CURRENT_LIST_DIR}/libhearsay.map
                    -Wl,--no-undefined)
set_target_properties(hearsay PROPERTIES VERSION ${PROJECT_VERSION} SOVERSION ${HS_SOVERSION}
                      LINK_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/libhearsay.map
                      LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib)
add_library(hearsay_static STATIC ${hs_lib_objects})
set_target_properties(hearsay_static PROPERTIES OUTPUT_NAME hearsay
                      ARCHIVE_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib)

install(TARGETS hearsay hearsay_static
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES ${PROJECT_SOURCE_DIR}/include/hearsay/hearsay.h
              ${PROJECT_SOURCE_DIR}/include/hearsay/error.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/hearsay)

# Both files find the prefix relative to where they are installed, so the tree can move.
file(RELATIVE_PATH HS_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
file(RELATIVE_PATH HS_CMAKE_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/cmake/hearsay /p)
configure_file(${CMAKE_CURRENT_LIST_DIR}/hearsay.pc.in ${PROJECT_BINARY_DIR}/packaging/lib/hearsay.pc @ONLY)
configure_file(${CMAKE_CURRENT_LIST_DIR}/hearsayConfig.cmake.in ${PROJECT_BINARY_DIR}/packaging/lib/hearsayConfig.cmake @ONLY)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/packaging/lib/hearsayConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/packaging/lib/hearsay.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES ${PROJECT_BINARY_DIR}/packaging/lib/hearsayConfig.cmake
              ${PROJECT_BINARY_DIR}/packaging/lib/hearsayConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/hearsay)
