file(REMOVE_RECURSE
  "CMakeFiles/hs_overlay.dir/wire.c.o"
  "CMakeFiles/hs_overlay.dir/wire.c.o.d"
  "libhs_overlay.a"
  "libhs_overlay.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/hs_overlay.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
