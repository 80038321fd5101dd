file(REMOVE_RECURSE
  "CMakeFiles/hs_reputation.dir/ratelimit.c.o"
  "CMakeFiles/hs_reputation.dir/ratelimit.c.o.d"
  "libhs_reputation.a"
  "libhs_reputation.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/hs_reputation.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
