# CMake generated Testfile for 
# Source directory: /work/main
# Build directory: /work/main/build
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
subdirs("crypto")
subdirs("reputation")
subdirs("overlay")
subdirs("store")
subdirs("node")
subdirs("sim")
subdirs("tests")
subdirs("fuzz")
subdirs("bench")
