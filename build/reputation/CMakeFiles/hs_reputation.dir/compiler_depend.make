# Empty compiler generated dependencies file for hs_reputation.
# This may be replaced when dependencies are built.
