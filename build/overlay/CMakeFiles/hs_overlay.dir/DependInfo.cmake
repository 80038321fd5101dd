
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/overlay/wire.c" "overlay/CMakeFiles/hs_overlay.dir/wire.c.o" "gcc" "overlay/CMakeFiles/hs_overlay.dir/wire.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build/reputation/CMakeFiles/hs_reputation.dir/DependInfo.cmake"
  "/work/main/build/crypto/CMakeFiles/hs_crypto.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
