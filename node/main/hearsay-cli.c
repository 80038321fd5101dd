/*
 * hearsay-cli: talk to hearsayd over its JSON-RPC, in bitcoin-cli's habits.
 *
 *   hearsay-cli [OPTIONS] METHOD [ARGS...]
 *
 * Reads DATADIR/hearsay.conf (or -conf) for rpcsocket, rpcport, rpcconnect, rpcuser,
 * rpcpassword and rpccookiefile, flags overriding the file. By default it speaks the Unix
 * socket (the cookie sent as "auth"); with -rpcport, -rpcconnect or -rpcuser on the command
 * line (or rpcuser in the file) it speaks HTTP to rpcconnect:rpcport with HTTP Basic (the
 * cookie, or rpcuser/rpcpassword). It sends one request with ARGS as positional string
 * parameters (more from -stdin, one per line, or -stdindata / -datafile as the last one),
 * prints the result (JSON, or key: value lines with -format=text) and exits 0; on an error
 * prints "error CODE: MESSAGE" and exits 1. `subscribe` (Unix socket only) prints one JSON
 * object per delivered rumor until interrupted, and exits 1 when the node goes away.
 * -rpcauth=USER prints an rpcauth= line for hearsay.conf and its password.
 * `validate TOPIC` (Unix socket only) prints each rumor to judge and reads
 * "ID accept|reject|ignore" verdict lines from stdin. `members [-status S] [-format json]`
 * is getmembers as Serf's `serf members` prints it: an aligned table by default.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <signal.h>
#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "node/rpcauth.h"

#define PATH_LEN        4096
#define DEFAULT_RPCPORT "7071"
#define REPLY_TIMEOUT_S 30 /* a request, HTTP or Unix socket, not answered in this is an error */

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(void)
{
	fputs("Usage: hearsay-cli [OPTIONS] METHOD [ARGS...]\n"
	      "       hearsay-cli -rpcauth=USER [PASSWORD]\n\n"
	      "Sends one JSON-RPC request to hearsayd and prints the result; `hearsay-cli help`\n"
	      "lists the methods and `hearsay-cli help METHOD` (or METHOD -help) describes one.\n"
	      "ARGS are the method's positional parameters; after --, every word is one.\n"
	      "`subscribe` prints one JSON object per delivered rumor until interrupted.\n"
	      "`members [-status alive|suspect|dead|left] [-format json]` prints the\n"
	      "members (getmembers) as a table: Node (id prefix), Address, Status,\n"
	      "Generation, Heartbeat; -format json prints getmembers' JSON array.\n"
	      "`leave` leaves the network gracefully and stops the node.\n\n"
	      "Options (also read from hearsay.conf, without the dash; flags win):\n"
	      "  -datadir=DIR       the node's data directory (default ~/.hearsay)\n"
	      "  -conf=FILE         the config file (default DATADIR/hearsay.conf)\n"
	      "  -rpcsocket=PATH    the Unix socket (default DATADIR/rpc.sock)\n"
	      "  -rpcconnect=IP     speak HTTP to IP (default 127.0.0.1)\n"
	      "  -rpcport=PORT      speak HTTP to PORT (default " DEFAULT_RPCPORT ")\n"
	      "  -rpcuser=USER      HTTP as an rpcauth user (with -rpcpassword)\n"
	      "  -rpcpassword=PASS  its password\n"
	      "  -rpccookiefile=F   the cookie (default DATADIR/.cookie)\n"
	      "  -stdin             read more arguments from standard input, one per line\n"
	      "  -stdindata         all of standard input is the last argument\n"
	      "  -datafile=FILE     the file's content is the last argument (hex for\n"
	      "                     publishhex, so a binary file works)\n"
	      "  -format=FMT        json (default), or text: the result as key: value lines\n"
	      "  -rpcauth=USER      print an rpcauth= line and a new password, then exit\n"
	      "  -help              this text\n"
	      "  -version           the version\n\n"
	      "Exit status: 0 on success; 1 when the node answers with an error (printed as\n"
	      "\"error CODE: MESSAGE\"), the exchange fails or a subscription ends; 64 for a bad\n"
	      "option; 69 when hearsayd is not running or cannot be reached; 77 when the\n"
	      "cookie cannot be read or the credentials are refused.\n",
	      stdout);
}

static int die(int code, const char *what, const char *why)
{
	fprintf(stderr, "hearsay-cli: %s%s%s\n", what, why ? ": " : "", why ? why : "");
	return code;
}

/* Reads one '\n'-terminated line; NULL at EOF. The caller frees. */
static char *read_line(FILE *f)
{
	size_t cap = 0;
	char *line = NULL;
	ssize_t n = getline(&line, &cap, f);
	if (n <= 0) {
		free(line);
		return NULL;
	}
	return line;
}

static void print_text(json_t *v, int depth);

static void print_scalar(json_t *v)
{
	if (json_is_string(v))
		fputs(json_string_value(v), stdout);
	else {
		char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		fputs(s ? s : "?", stdout);
		free(s);
	}
}

static void print_text(json_t *v, int depth)
{
	if (json_is_object(v)) {
		const char *key;
		json_t *val;
		json_object_foreach(v, key, val)
		{
			printf("%*s%s:", depth * 2, "", key);
			if (json_is_object(val) || json_is_array(val)) {
				putchar('\n');
				print_text(val, depth + 1);
			} else {
				putchar(' ');
				print_scalar(val);
				putchar('\n');
			}
		}
	} else if (json_is_array(v)) {
		size_t i;
		json_t *val;
		json_array_foreach(v, i, val)
		{
			if (json_is_object(val) || json_is_array(val)) {
				printf("%*s-\n", depth * 2, "");
				print_text(val, depth + 1);
			} else {
				printf("%*s- ", depth * 2, "");
				print_scalar(val);
				putchar('\n');
			}
		}
	} else {
		printf("%*s", depth * 2, "");
		print_scalar(v);
		putchar('\n');
	}
}

static void print_result(json_t *result, bool text)
{
	if (text) {
		print_text(result, 0);
		return;
	}
	char *s = json_dumps(result, JSON_ENCODE_ANY | JSON_INDENT(2));
	puts(s ? s : "null");
	free(s);
}

/* Prints a reply's error and returns it (NULL) or the reply. */
static json_t *check_reply(json_t *reply, int *code)
{
	json_t *err = json_object_get(reply, "error");
	if (err && !json_is_null(err)) {
		fprintf(stderr, "error %lld: %s\n",
		        (long long)json_integer_value(json_object_get(err, "code")),
		        json_string_value(json_object_get(err, "message")));
		json_decref(reply);
		*code = 1;
		return NULL;
	}
	return reply;
}

/* The reply to request id from the stream; prints an error and returns NULL on failure. */
static json_t *await_reply(FILE *f, int *code)
{
	errno = 0;
	char *line = read_line(f);
	if (!line) {
		*code = die(1,
		            errno == EAGAIN || errno == EWOULDBLOCK
		                    ? "no reply from the node within 30 s"
		                    : "the node closed the connection",
		            NULL);
		return NULL;
	}
	json_t *reply = json_loads(line, 0, NULL);
	free(line);
	if (!reply) {
		*code = die(1, "the node sent a malformed reply", NULL);
		return NULL;
	}
	return check_reply(reply, code);
}

static int send_request(FILE *f, const char *method, json_t *params, int id)
{
	json_t *req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", id, "method",
	                        method, "params", params);
	char *s = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	int rc = s && fprintf(f, "%s\n", s) > 0 && fflush(f) == 0 ? 0 : -1;
	free(s);
	return rc;
}

struct opts {
	char datadir[PATH_LEN];
	char conf[PATH_LEN + 16];
	char rpcsocket[PATH_LEN];
	char rpcconnect[256];
	char rpcport[16];
	char rpcuser[256];
	char rpcpassword[256];
	char cookiefile[PATH_LEN + 16];
	char datafile[PATH_LEN];
	bool http;
	bool use_stdin, stdindata;
	bool text;
	bool json_asked; /* -format=json given: JSON even where a table is the default */
	int first;       /* argv index of METHOD */
};

/* One option, from the command line (cli) or the config file. 1: taken; 0: unknown (an
 * error on the command line, ignored in the file, which is hearsayd's too); -1: a bad value. */
static int set_opt(struct opts *o, const char *a, bool cli)
{
	static const struct {
		const char *name;
		size_t off, cap;
		bool http;
	} strs[] = {
		{ "rpcsocket=", offsetof(struct opts, rpcsocket), PATH_LEN, false },
		{ "rpcconnect=", offsetof(struct opts, rpcconnect), 256, true },
		{ "rpcport=", offsetof(struct opts, rpcport), 16, true },
		{ "rpcuser=", offsetof(struct opts, rpcuser), 256, true },
		{ "rpcpassword=", offsetof(struct opts, rpcpassword), 256, false },
		{ "rpccookiefile=", offsetof(struct opts, cookiefile), PATH_LEN + 16, false },
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		size_t n = strlen(strs[i].name);
		if (strncmp(a, strs[i].name, n) != 0)
			continue;
		if (strlen(a + n) >= strs[i].cap)
			return -1;
		snprintf((char *)o + strs[i].off, strs[i].cap, "%s", a + n);
		/* rpcport in the file is the daemon's port: HTTP only when asked for here, or
		 * when a user is configured (users exist only on HTTP). */
		if ((strs[i].http && cli) || strcmp(strs[i].name, "rpcuser=") == 0)
			o->http = true;
		return 1;
	}
	if (!cli)
		return 0;
	if (strncmp(a, "datafile=", 9) == 0 && strlen(a + 9) < PATH_LEN) {
		snprintf(o->datafile, sizeof(o->datafile), "%s", a + 9);
		return 1;
	}
	if (strcmp(a, "stdin") == 0) {
		o->use_stdin = true;
		return 1;
	}
	if (strcmp(a, "stdindata") == 0) {
		o->stdindata = true;
		return 1;
	}
	if (strcmp(a, "format=text") == 0 || strcmp(a, "format=json") == 0) {
		o->text = strcmp(a, "format=text") == 0;
		o->json_asked = !o->text && cli;
		return 1;
	}
	return 0;
}

/* Reads KEY=VALUE lines of the config file for the options above; a missing file is fine
 * unless -conf named it. */
static int read_conf(struct opts *o, bool explicit_conf)
{
	FILE *f = fopen(o->conf, "r");
	if (!f) {
		if (!explicit_conf)
			return 0;
		fprintf(stderr, "hearsay-cli: cannot read %s: %s\n", o->conf, strerror(errno));
		return 64;
	}
	char *line;
	while ((line = read_line(f)) != NULL) {
		line[strcspn(line, "\r\n")] = '\0';
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p && *p != '#' && set_opt(o, p, false) < 0)
			fprintf(stderr, "hearsay-cli: %s: value too long, ignored: %s\n", o->conf,
			        p);
		free(line);
	}
	fclose(f);
	return 0;
}

static void print_rpcauth(const char *user, const char *password)
{
	uint8_t salt_bytes[16], pw_bytes[32];
	char salt[33], pw[64], mac[65];
	randombytes_buf(salt_bytes, sizeof(salt_bytes));
	for (size_t i = 0; i < 16; i++)
		snprintf(salt + 2 * i, 3, "%02x", salt_bytes[i]);
	if (!password) {
		randombytes_buf(pw_bytes, sizeof(pw_bytes));
		sodium_bin2base64(pw, sizeof(pw), pw_bytes, sizeof(pw_bytes),
		                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		password = pw;
	}
	hs_rpcauth_hmac_hex(mac, salt, password);
	printf("String to be appended to hearsay.conf:\nrpcauth=%s:%s$%s\nYour password:\n%s\n",
	       user, salt, mac, password);
	sodium_memzero(pw, sizeof(pw));
}

static int parse_opts(struct opts *o, int argc, char **argv)
{
	memset(o, 0, sizeof(*o));
	const char *home = getenv("HOME");
	snprintf(o->datadir, sizeof(o->datadir), "%s/.hearsay", home ? home : ".");
	bool explicit_conf = false;
	/* -datadir and -conf first: the file is read before the other flags override it. */
	for (int i = 1; i < argc && argv[i][0] == '-' && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i] + (argv[i][1] == '-' ? 2 : 1);
		if (strncmp(a, "datadir=", 8) == 0)
			snprintf(o->datadir, sizeof(o->datadir), "%s", a + 8);
		else if (strncmp(a, "conf=", 5) == 0) {
			snprintf(o->conf, sizeof(o->conf), "%s", a + 5);
			explicit_conf = true;
		}
	}
	if (!explicit_conf)
		snprintf(o->conf, sizeof(o->conf), "%s/hearsay.conf", o->datadir);
	int rc = read_conf(o, explicit_conf);
	if (rc)
		return rc;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i] + (argv[i][1] == '-' ? 2 : 1);
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "help") == 0 || strcmp(a, "h") == 0 || strcmp(a, "?") == 0) {
			usage();
			exit(0);
		} else if (strcmp(a, "version") == 0) {
			printf("hearsay-cli %s\n", HS_VERSION);
			exit(0);
		} else if (strncmp(a, "rpcauth=", 8) == 0 && a[8]) {
			if (strchr(a + 8, ':') || (i + 1 < argc && i + 2 < argc)) {
				fprintf(stderr,
				        "hearsay-cli: usage: -rpcauth=USER [PASSWORD] (no ':' "
				        "in USER)\n");
				return 64;
			}
			print_rpcauth(a + 8, i + 1 < argc ? argv[i + 1] : NULL);
			exit(0);
		} else if (strncmp(a, "datadir=", 8) == 0 || strncmp(a, "conf=", 5) == 0) {
			continue;
		}
		int r = set_opt(o, a, true);
		if (r <= 0) {
			fprintf(stderr, "hearsay-cli: %s option %s (see -help)\n",
			        r < 0 ? "bad value for" : "unknown", argv[i]);
			return 64;
		}
	}
	if (!o->rpcsocket[0] && snprintf(o->rpcsocket, sizeof(o->rpcsocket), "%s/rpc.sock",
	                                 o->datadir) >= (int)sizeof(o->rpcsocket)) {
		fprintf(stderr, "hearsay-cli: data directory path too long\n");
		return 64;
	}
	if (!o->cookiefile[0])
		snprintf(o->cookiefile, sizeof(o->cookiefile), "%s/.cookie", o->datadir);
	if (!o->rpcconnect[0])
		snprintf(o->rpcconnect, sizeof(o->rpcconnect), "127.0.0.1");
	if (!o->rpcport[0])
		snprintf(o->rpcport, sizeof(o->rpcport), DEFAULT_RPCPORT);
	o->first = i;
	if (i >= argc) {
		usage();
		return 64;
	}
	return 0;
}

static void set_timeout(int fd)
{
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_S };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static FILE *connect_node(const char *path, int *code)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		*code = die(64, "socket path too long", path);
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (access(path, F_OK) != 0) {
		char what[PATH_LEN + 64];
		snprintf(what, sizeof(what), "hearsayd is not running (no socket at %s)", path);
		*code = die(69, what, NULL);
		return NULL;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		char what[PATH_LEN + 64];
		snprintf(what, sizeof(what),
		         "cannot connect to the node at %s (is hearsayd running?)", path);
		*code = die(69, what, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	set_timeout(fd);
	return fdopen(fd, "r+");
}

static char *read_cookie(const char *path, int *code)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		char what[PATH_LEN + 64];
		if (errno == ENOENT) {
			snprintf(what, sizeof(what), "hearsayd is not running (no cookie at %s)",
			         path);
			*code = die(69, what, NULL);
		} else {
			*code = die(77, "cannot read the cookie file", path);
		}
		return NULL;
	}
	char *line = read_line(f);
	fclose(f);
	if (line)
		line[strcspn(line, "\r\n")] = '\0';
	else
		*code = die(77, "empty cookie file", path);
	return line;
}

/* ---- HTTP ----------------------------------------------------------------------------------- */

/* POSTs one request over a new connection (Connection: close) and returns the reply's JSON;
 * NULL with *code set and a line printed on failure. The reply is read to EOF: its status
 * line and the body after the blank line are all that is used. */
static json_t *http_call(const struct opts *o, json_t *req, int *code)
{
	char auth[600];
	if (o->rpcuser[0]) {
		snprintf(auth, sizeof(auth), "%s:%s", o->rpcuser, o->rpcpassword);
	} else {
		char *cookie = read_cookie(o->cookiefile, code);
		if (!cookie)
			return NULL;
		snprintf(auth, sizeof(auth), "%s", cookie);
		free(cookie);
	}
	char b64[sizeof(auth) * 4 / 3 + 8];
	sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)auth, strlen(auth),
	                  sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(auth, sizeof(auth));
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	if (getaddrinfo(o->rpcconnect, o->rpcport, &hints, &ai) != 0 || !ai) {
		*code = die(64, "cannot resolve -rpcconnect", o->rpcconnect);
		return NULL;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		char what[512];
		snprintf(what, sizeof(what),
		         "cannot connect to hearsayd at %s:%s (is it running "
		         "with rpcport=%s?)",
		         o->rpcconnect, o->rpcport, o->rpcport);
		*code = die(69, what, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return NULL;
	}
	freeaddrinfo(ai);
	set_timeout(fd);
	char *body = json_dumps(req, JSON_COMPACT);
	FILE *f = fdopen(fd, "r+");
	if (!body || !f) {
		free(body);
		if (f)
			fclose(f);
		else
			close(fd);
		*code = die(1, "out of memory", NULL);
		return NULL;
	}
	fprintf(f,
	        "POST / HTTP/1.1\r\nHost: %s\r\nAuthorization: Basic %s\r\n"
	        "Content-Type: application/json\r\nContent-Length: %zu\r\n"
	        "Connection: close\r\n\r\n%s",
	        o->rpcconnect, b64, strlen(body), body);
	free(body);
	fflush(f);
	size_t cap = 0, len = 0;
	char *in = NULL, buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		char *m = realloc(in, len + n + 1);
		if (!m)
			break;
		in = m;
		memcpy(in + len, buf, n);
		len += n;
		cap = len + 1;
	}
	fclose(f);
	(void)cap;
	int status = 0;
	char *sep = in ? (in[len] = '\0', strstr(in, "\r\n\r\n")) : NULL;
	if (!in || sscanf(in, "HTTP/1.%*d %d", &status) != 1 || !sep) {
		free(in);
		*code = die(1, "no HTTP reply from the node (timed out, or not hearsayd)", NULL);
		return NULL;
	}
	json_t *reply = json_loads(sep + 4, 0, NULL);
	free(in);
	if (status == 401) {
		json_decref(reply);
		*code = die(77, "the node refused the credentials (HTTP 401)",
		            o->rpcuser[0] ? "check -rpcuser/-rpcpassword" : o->cookiefile);
		return NULL;
	}
	if (!reply) {
		char what[64];
		snprintf(what, sizeof(what), "HTTP %d without a JSON-RPC reply", status);
		*code = die(1, what, NULL);
		return NULL;
	}
	return reply;
}

/* ---- arguments ------------------------------------------------------------------------------ */

static char *read_all(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *m = realloc(buf, 2 * cap + 1);
			if (!m) {
				free(buf);
				return NULL;
			}
			buf = m;
			cap *= 2;
		}
	}
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

/* The positional parameters: ARGS, then -stdin lines, then -stdindata / -datafile. */
static json_t *build_params(const struct opts *o, int argc, char **argv, const char *method,
                            int *code)
{
	json_t *params = json_array();
	for (int i = o->first + 1; i < argc; i++)
		json_array_append_new(params, json_string(argv[i]));
	if (o->use_stdin) {
		char *line;
		while ((line = read_line(stdin)) != NULL) {
			line[strcspn(line, "\r\n")] = '\0';
			json_array_append_new(params, json_string(line));
			free(line);
		}
	}
	if (o->stdindata || o->datafile[0]) {
		FILE *f = o->datafile[0] ? fopen(o->datafile, "rb") : stdin;
		size_t len = 0;
		char *data = f ? read_all(f, &len) : NULL;
		if (f && f != stdin)
			fclose(f);
		if (!data) {
			*code = die(66, "cannot read", o->datafile[0] ? o->datafile : "stdin");
			json_decref(params);
			return NULL;
		}
		json_t *v;
		if (strcmp(method, "publishhex") == 0) {
			char *hex = malloc(2 * len + 1);
			static const char digits[] = "0123456789abcdef";
			for (size_t i = 0; hex && i < len; i++) {
				hex[2 * i] = digits[(uint8_t)data[i] >> 4];
				hex[2 * i + 1] = digits[(uint8_t)data[i] & 15];
			}
			if (hex)
				hex[2 * len] = '\0';
			v = hex ? json_string(hex) : NULL;
			free(hex);
		} else {
			v = json_stringn(data, len); /* NULL for bytes that are not UTF-8 */
		}
		free(data);
		if (!v) {
			*code = die(65, "the data is not UTF-8 text: use publishhex for binary",
			            NULL);
			json_decref(params);
			return NULL;
		}
		json_array_append_new(params, v);
	}
	return params;
}

static bool is_help_flag(const char *a)
{
	return strcmp(a, "-help") == 0 || strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 ||
	       strcmp(a, "-?") == 0;
}

/* `members`: getmembers' array as an aligned table, Serf's `serf members` layout. */
static void print_members(json_t *a)
{
	static const char *const head[] = { "Node", "Address", "Status", "Generation",
		                            "Heartbeat" };
	enum { COLS = 5 };
	size_t rows = json_array_size(a), w[COLS];
	char(*cell)[COLS][64] = calloc(rows ? rows : 1, sizeof(*cell));
	if (!cell) {
		fputs("hearsay-cli: out of memory\n", stderr);
		return;
	}
	for (int c = 0; c < COLS; c++)
		w[c] = strlen(head[c]);
	for (size_t i = 0; i < rows; i++) {
		json_t *m = json_array_get(a, i);
		const char *id = json_string_value(json_object_get(m, "id"));
		const char *addr = json_string_value(json_object_get(m, "addr"));
		const char *status = json_string_value(json_object_get(m, "status"));
		snprintf(cell[i][0], 64, "%.8s", id ? id : "?");
		snprintf(cell[i][1], 64, "%s", addr ? addr : "-");
		snprintf(cell[i][2], 64, "%s", status ? status : "?");
		snprintf(cell[i][3], 64, "%lld",
		         (long long)json_integer_value(json_object_get(m, "generation")));
		snprintf(cell[i][4], 64, "%lld",
		         (long long)json_integer_value(json_object_get(m, "heartbeat")));
		for (int c = 0; c < COLS; c++)
			if (strlen(cell[i][c]) > w[c])
				w[c] = strlen(cell[i][c]);
	}
	for (size_t i = 0; i <= rows; i++) {
		for (int c = 0; c < COLS; c++) {
			const char *v = i == 0 ? head[c] : cell[i - 1][c];
			if (c == COLS - 1)
				printf("%s\n", v);
			else
				printf("%-*s  ", (int)w[c], v);
		}
	}
	free(cell);
}

/* `members [-status S] [-format json|table]` (a flag's value after '=' or as the next word):
 * getmembers' params. 0, or the exit status after a message. */
static int members_args(int argc, char **argv, int first, json_t **params, bool *table)
{
	*params = json_array();
	for (int i = first + 1; i < argc; i++) {
		const char *a = argv[i] + (argv[i][0] == '-' && argv[i][1] == '-' ? 2 : 1);
		if (argv[i][0] != '-')
			goto bad;
		if (is_help_flag(argv[i])) {
			fputs("Usage: hearsay-cli members [-status alive|suspect|dead|left] "
			      "[-format table|json]\n",
			      stdout);
			exit(0);
		}
		const char *flag = strncmp(a, "status", 6) == 0   ? "status"
		                   : strncmp(a, "format", 6) == 0 ? "format"
		                                                  : NULL;
		if (!flag || (a[6] != '\0' && a[6] != '='))
			goto bad;
		const char *v = a[6] == '=' ? a + 7 : i + 1 < argc ? argv[++i] : NULL;
		if (!v)
			goto bad;
		if (strcmp(flag, "status") == 0) {
			json_array_clear(*params);
			json_array_append_new(*params, json_string(v));
		} else if (strcmp(v, "json") == 0 || strcmp(v, "table") == 0) {
			*table = strcmp(v, "table") == 0;
		} else {
			goto bad;
		}
	}
	return 0;
bad:
	fprintf(stderr, "hearsay-cli: members takes -status alive|suspect|dead|left and -format "
	                "table|json\n");
	json_decref(*params);
	*params = NULL;
	return 64;
}

static void print_reply(json_t *r, bool text, bool stream)
{
	if (stream && !text) {
		/* A stream is one JSON object per line, the acknowledgement included. */
		char *s = json_dumps(json_object_get(r, "result"), JSON_COMPACT);
		puts(s ? s : "null");
		free(s);
	} else {
		print_result(json_object_get(r, "result"), text);
	}
	fflush(stdout);
}

/* `validate TOPIC`: a child reads "ID accept|reject|ignore" lines from stdin and sends each as
 * a verdict request; this process prints every rumor to judge (the notification's params) and
 * every verdict's answer ({"verdict":...} or {"error":{...}}), one JSON object a line. At the
 * end of stdin the connection is shut down, so the node gives what is still held its default
 * verdict. */
static int validate_loop(FILE *f)
{
	int fd = fileno(f);
	pid_t child = fork();
	if (child < 0)
		return die(1, "cannot fork", strerror(errno));
	if (child == 0) {
		FILE *out = fdopen(dup(fd), "w");
		char *line;
		int n = 2;
		while (out && (line = read_line(stdin)) != NULL) {
			char id[80], verdict[16];
			if (sscanf(line, "%79s %15s", id, verdict) == 2)
				(void)!send_request(out, "verdict",
				                    json_pack("[s, s]", id, verdict), n++);
			free(line);
		}
		shutdown(fd, SHUT_RDWR);
		_exit(0);
	}
	struct sigaction sa = { .sa_handler = on_sigint };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	char *line;
	while (!interrupted && (line = read_line(f)) != NULL) {
		json_t *n = json_loads(line, 0, NULL);
		free(line);
		if (!n)
			continue;
		json_t *v = json_object_get(n, "params");
		if (!v)
			v = json_object_get(n, "result");
		char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;
		if (!s && json_object_get(n, "error")) {
			json_t *e = json_pack("{s:O}", "error", json_object_get(n, "error"));
			s = json_dumps(e, JSON_COMPACT);
			json_decref(e);
		}
		if (s) {
			puts(s);
			fflush(stdout);
		}
		free(s);
		json_decref(n);
	}
	kill(child, SIGTERM);
	waitpid(child, NULL, 0);
	fclose(f);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	int code = parse_opts(&o, argc, argv);
	if (code)
		return code;
	signal(SIGPIPE, SIG_IGN); /* a node that stops mid-request is an error line, not a crash */
	const char *method = argv[o.first];
	bool stream = strcmp(method, "subscribe") == 0;
	/* METHOD -help (anywhere before --) asks for the method's help, never sends it as data;
	 * after --, every word is an argument (the first -- itself is not one). */
	json_t *params = NULL;
	bool table = false;
	if (strcmp(method, "members") == 0) {
		table = !o.json_asked;
		if ((code = members_args(argc, argv, o.first, &params, &table)) != 0)
			return code;
		method = "getmembers";
	}
	for (int i = o.first + 1; i < argc && !params; i++) {
		if (strcmp(argv[i], "--") == 0) {
			memmove(&argv[i], &argv[i + 1], (size_t)(argc - i - 1) * sizeof(char *));
			argc--;
			break;
		}
		if (is_help_flag(argv[i])) {
			params = json_pack("[s]", method);
			method = "help";
			stream = false;
			break;
		}
	}
	if (!params) {
		params = build_params(&o, argc, argv, method, &code);
		if (!params)
			return code;
	}
	if (o.http && !stream && strcmp(method, "validate") != 0) {
		json_t *req = json_pack("{s:s, s:i, s:s, s:o}", "jsonrpc", "2.0", "id", 1, "method",
		                        method, "params", params);
		json_t *r = http_call(&o, req, &code);
		json_decref(req);
		if (!r || !(r = check_reply(r, &code)))
			return code;
		if (table)
			print_members(json_object_get(r, "result"));
		else
			print_reply(r, o.text, false);
		json_decref(r);
		return 0;
	}
	char *cookie = read_cookie(o.cookiefile, &code);
	if (!cookie) {
		json_decref(params);
		return code;
	}
	FILE *f = connect_node(o.rpcsocket, &code);
	if (!f) {
		free(cookie);
		json_decref(params);
		return code;
	}
	send_request(f, "auth", json_pack("[s]", cookie), 0);
	free(cookie);
	json_t *r = await_reply(f, &code);
	if (!r) {
		fclose(f);
		json_decref(params);
		return code;
	}
	json_decref(r);
	if (send_request(f, method, params, 1) != 0) {
		fclose(f);
		return die(1, "cannot send the request", NULL);
	}
	r = await_reply(f, &code);
	if (!r) {
		fclose(f);
		return code;
	}
	if (strcmp(method, "validate") == 0 && json_object_get(r, "result")) {
		char *s = json_dumps(json_object_get(r, "result"), JSON_COMPACT);
		puts(s ? s : "null");
		free(s);
		fflush(stdout);
		json_decref(r);
		/* No timeout: a validator may wait as long as the network is quiet. */
		struct timeval tv = { 0 };
		setsockopt(fileno(f), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		return validate_loop(f);
	}
	if (table)
		print_members(json_object_get(r, "result"));
	else
		print_reply(r, o.text, stream);
	json_decref(r);
	int rc = 0;
	if (stream) {
		/* No SA_RESTART: the blocked read must return so the loop can end. No timeout on
		 * a stream: it may be quiet for as long as the network is. */
		struct timeval tv = { 0 };
		setsockopt(fileno(f), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		struct sigaction sa = { .sa_handler = on_sigint };
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		char *line;
		while (!interrupted && (line = read_line(f)) != NULL) {
			json_t *n = json_loads(line, 0, NULL);
			free(line);
			if (!n)
				continue;
			char *s = json_dumps(json_object_get(n, "params"), JSON_COMPACT);
			if (s) {
				puts(s);
				fflush(stdout);
			}
			free(s);
			json_decref(n);
		}
		if (!interrupted)
			rc = die(1, "the node closed the subscription (hearsayd stopped?)", NULL);
	}
	fclose(f);
	return rc;
}
