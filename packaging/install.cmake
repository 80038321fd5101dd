# Install-time part of `cmake --install` (packaging/CMakeLists.txt sets HS_* before this runs):
# the systemd unit names absolute paths, so it is written for the prefix actually installed to
# (cmake --install --prefix P changes it after configuring); the configuration file is
# installed only when absent, so reinstalling never overwrites an operator's settings.
set(prefix "${CMAKE_INSTALL_PREFIX}")
if(prefix STREQUAL "/usr")
  set(etc "/etc")
else()
  set(etc "${prefix}/etc")
endif()
set(HS_BINDIR "${prefix}/${HS_REL_BINDIR}")
set(HS_DOCDIR "${prefix}/${HS_REL_DOCDIR}")
set(HS_CONF "${etc}/hearsay/hearsay.conf")
configure_file("${HS_SOURCE_DIR}/hearsayd.service.in" "${HS_BINARY_DIR}/hearsayd.service" @ONLY)
file(INSTALL DESTINATION "${prefix}/lib/systemd/system" TYPE FILE FILES
     "${HS_BINARY_DIR}/hearsayd.service")
if(EXISTS "$ENV{DESTDIR}${HS_CONF}")
  message(STATUS "Keeping: $ENV{DESTDIR}${HS_CONF} (the sample is ${HS_DOCDIR}/hearsay.conf.example)")
else()
  file(INSTALL DESTINATION "${etc}/hearsay" TYPE FILE RENAME hearsay.conf FILES
       "${HS_BINARY_DIR}/hearsay.conf.example")
endif()
