file(REMOVE_RECURSE
  "libhs_overlay.a"
)
