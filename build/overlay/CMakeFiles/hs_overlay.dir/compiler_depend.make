# Empty compiler generated dependencies file for hs_overlay.
# This may be replaced when dependencies are built.
