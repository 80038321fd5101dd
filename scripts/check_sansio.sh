#!/bin/sh
# The core (base/, crypto/, reputation/, overlay/) is sans-IO: time, sockets, files, threads and
# randomness reach it only as arguments or capabilities. This check lists the undefined
# symbols of the core archives and fails on any that would read a clock, do I/O, start a
# thread, read the environment or draw from a global RNG.
set -eu
[ $# -ge 1 ] || { echo "usage: $0 ARCHIVE..." >&2; exit 2; }

forbidden='^(time|clock|clock_gettime|clock_getres|gettimeofday|timespec_get|ftime|localtime|localtime_r|gmtime|gmtime_r|mktime|nanosleep|sleep|usleep|alarm|setitimer|timer_create|socket|socketpair|connect|bind|listen|accept|accept4|send|sendto|sendmsg|recv|recvfrom|recvmsg|shutdown|getaddrinfo|gethostbyname|inet_pton|inet_ntop|poll|select|epoll_create|epoll_create1|epoll_wait|open|open64|openat|openat64|creat|fopen|fopen64|freopen|fdopen|read|write|pread|pwrite|readv|writev|close|fclose|fread|fwrite|fgets|fputs|fputc|puts|printf|fprintf|vfprintf|vprintf|perror|fflush|stat|fstat|lstat|unlink|rename|mkdir|opendir|readdir|mmap|ioctl|fcntl|dup|dup2|pipe|fork|execve|system|popen|getpid|getenv|secure_getenv|setenv|pthread_.*|thrd_.*|mtx_.*|cnd_.*|rand|rand_r|srand|random|srandom|drand48|lrand48|mrand48|erand48|getrandom|getentropy|arc4random.*|randombytes.*|sodium_init|uv_.*|leveldb_.*)$'

status=0
for a in "$@"; do
	[ -f "$a" ] || { echo "sans_io: missing archive $a" >&2; exit 1; }
	bad=$(nm -u "$a" | awk '{print $NF}' | sed 's/@.*//' | sort -u | grep -E "$forbidden" || true)
	if [ -n "$bad" ]; then
		echo "sans_io: $(basename "$a") uses I/O, clock, thread or RNG symbols:" >&2
		echo "$bad" | sed 's/^/  /' >&2
		status=1
	else
		echo "sans_io: $(basename "$a") ok ($(nm -u "$a" | awk '{print $NF}' | sort -u | wc -l) undefined symbols, none forbidden)"
	fi
done

# Includes are a second, earlier signal: a core file that includes a clock, socket, thread or
# storage header is wrong even before it calls anything.
src=$(cd "$(dirname "$0")/.." && pwd)
inc=$(grep -RnE '#include[[:space:]]*<(time\.h|sys/time\.h|sys/socket\.h|netinet/[a-z_]+\.h|arpa/inet\.h|netdb\.h|pthread\.h|threads\.h|unistd\.h|fcntl\.h|dirent\.h|uv\.h|leveldb/[a-z_]+\.h)>' \
	"$src/base" "$src/crypto" "$src/reputation" "$src/overlay" 2>/dev/null || true)
if [ -n "$inc" ]; then
	echo "sans_io: core sources include I/O, clock or thread headers:" >&2
	echo "$inc" >&2
	status=1
fi
exit $status
