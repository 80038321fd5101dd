crypto/CMakeFiles/hs_crypto.dir/error.c.o: /work/main/crypto/error.c \
 /usr/include/stdc-predef.h /work/main/include/hearsay/error.h
