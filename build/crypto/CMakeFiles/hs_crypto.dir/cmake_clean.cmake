file(REMOVE_RECURSE
  "CMakeFiles/hs_crypto.dir/error.c.o"
  "CMakeFiles/hs_crypto.dir/error.c.o.d"
  "libhs_crypto.a"
  "libhs_crypto.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/hs_crypto.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
