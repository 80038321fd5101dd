file(REMOVE_RECURSE
  "libhs_reputation.a"
)
