# CMake generated Testfile for 
# Source directory: /work/main/tests
# Build directory: /work/main/build/tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[sans_io]=] "/work/main/scripts/check_sansio.sh" "/work/main/build/crypto/libhs_crypto.a" "/work/main/build/reputation/libhs_reputation.a" "/work/main/build/overlay/libhs_overlay.a")
set_tests_properties([=[sans_io]=] PROPERTIES  LABELS "lint" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;27;add_test;/work/main/tests/CMakeLists.txt;0;")
add_test([=[format]=] "/work/main/scripts/check_format.sh" "/work/main")
set_tests_properties([=[format]=] PROPERTIES  LABELS "lint" _BACKTRACE_TRIPLES "/work/main/tests/CMakeLists.txt;32;add_test;/work/main/tests/CMakeLists.txt;0;")
