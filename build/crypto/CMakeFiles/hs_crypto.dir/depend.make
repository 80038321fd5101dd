# Empty dependencies file for hs_crypto.
# This may be replaced when dependencies are built.
