file(REMOVE_RECURSE
  "libhs_crypto.a"
)
