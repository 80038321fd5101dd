/*
 * hearsay-cli: talk to hearsayd over its JSON-RPC Unix socket.
 *
 *   hearsay-cli [-datadir=DIR] [-rpcsocket=PATH] [-format=json|text] METHOD [ARGS...]
 *
 * Reads the cookie from DATADIR/.cookie, authenticates, sends one request with ARGS as
 * positional string parameters, prints the result (JSON, or key: value lines with
 * -format=text) and exits 0; on an error prints "error CODE: MESSAGE" and exits 1. `subscribe`
 * prints one JSON object per delivered rumor until interrupted; `validate TOPIC` prints each
 * rumor to judge and reads "ID accept|reject|ignore" verdict lines from stdin.
 */
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define PATH_LEN 4096

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void usage(void)
{
	fputs("Usage: hearsay-cli [-datadir=DIR] [-rpcsocket=PATH] [-format=json|text] METHOD "
	      "[ARGS...]\n\n"
	      "Sends one JSON-RPC request to hearsayd and prints the result; `hearsay-cli help`\n"
	      "lists the methods. ARGS are the method's positional parameters; `subscribe` prints\n"
	      "one JSON object per delivered rumor until interrupted.\n\n"
	      "Options:\n"
	      "  -datadir=DIR      the node's data directory, holding .cookie (default "
	      "~/.hearsay)\n"
	      "  -rpcsocket=PATH   the RPC socket (default DATADIR/rpc.sock)\n"
	      "  -format=FMT       json (default), or text: the result as key: value lines\n"
	      "  -help             this text\n"
	      "  -version          the version\n\n"
	      "Exit status: 0 on success; 1 when the node answers with an error (printed as\n"
	      "\"error CODE: MESSAGE\") or the exchange fails; 64 for a bad option; 69 when the\n"
	      "node cannot be reached;"
	      " 77 when the cookie cannot be read.\n",
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

/* The reply to request id from the stream; prints an error and returns NULL on failure. */
static json_t *await_reply(FILE *f, int *code)
{
	char *line = read_line(f);
	if (!line) {
		*code = die(1, "the node closed the connection", NULL);
		return NULL;
	}
	json_t *reply = json_loads(line, 0, NULL);
	free(line);
	if (!reply) {
		*code = die(1, "the node sent a malformed reply", NULL);
		return NULL;
	}
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
	char rpcsocket[PATH_LEN];
	bool text;
	int first; /* argv index of METHOD */
};

static int parse_opts(struct opts *o, int argc, char **argv)
{
	const char *home = getenv("HOME");
	snprintf(o->datadir, sizeof(o->datadir), "%s/.hearsay", home ? home : ".");
	o->rpcsocket[0] = '\0';
	o->text = false;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i] + (argv[i][1] == '-' ? 2 : 1);
		if (strcmp(a, "help") == 0 || strcmp(a, "h") == 0) {
			usage();
			exit(0);
		} else if (strcmp(a, "version") == 0) {
			printf("hearsay-cli %s\n", HS_VERSION);
			exit(0);
		} else if (strncmp(a, "datadir=", 8) == 0) {
			snprintf(o->datadir, sizeof(o->datadir), "%s", a + 8);
		} else if (strncmp(a, "rpcsocket=", 10) == 0) {
			snprintf(o->rpcsocket, sizeof(o->rpcsocket), "%s", a + 10);
		} else if (strcmp(a, "format=text") == 0) {
			o->text = true;
		} else if (strcmp(a, "format=json") == 0) {
			o->text = false;
		} else {
			fprintf(stderr, "hearsay-cli: unknown option %s (see -help)\n", argv[i]);
			return 64;
		}
	}
	if (!o->rpcsocket[0] && snprintf(o->rpcsocket, sizeof(o->rpcsocket), "%s/rpc.sock",
	                                 o->datadir) >= (int)sizeof(o->rpcsocket)) {
		fprintf(stderr, "hearsay-cli: data directory path too long\n");
		return 64;
	}
	o->first = i;
	if (i >= argc) {
		usage();
		return 64;
	}
	return 0;
}

static FILE *connect_node(const char *path, int *code)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(sa.sun_path)) {
		*code = die(64, "socket path too long", path);
		return NULL;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		char what[PATH_LEN + 64];
		snprintf(what, sizeof(what),
		         "cannot connect to the node at %s (is hearsayd running?)", path);
		*code = die(69, what, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	return fdopen(fd, "r+");
}

static char *read_cookie(const char *datadir, int *code)
{
	char path[PATH_LEN + 16];
	snprintf(path, sizeof(path), "%s/.cookie", datadir);
	FILE *f = fopen(path, "r");
	if (!f) {
		*code = die(77, "cannot read the cookie file", path);
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
	char *cookie = read_cookie(o.datadir, &code);
	if (!cookie)
		return code;
	FILE *f = connect_node(o.rpcsocket, &code);
	if (!f) {
		free(cookie);
		return code;
	}
	send_request(f, "auth", json_pack("[s]", cookie), 0);
	free(cookie);
	json_t *r = await_reply(f, &code);
	if (!r) {
		fclose(f);
		return code;
	}
	json_decref(r);
	const char *method = argv[o.first];
	json_t *params = json_array();
	for (int i = o.first + 1; i < argc; i++)
		json_array_append_new(params, json_string(argv[i]));
	if (send_request(f, method, params, 1) != 0) {
		fclose(f);
		return die(1, "cannot send the request", NULL);
	}
	r = await_reply(f, &code);
	if (!r) {
		fclose(f);
		return code;
	}
	bool validating = strcmp(method, "validate") == 0 && json_object_get(r, "result");
	if (validating) {
		char *s = json_dumps(json_object_get(r, "result"), JSON_COMPACT);
		puts(s ? s : "null");
		free(s);
		fflush(stdout);
		json_decref(r);
		return validate_loop(f);
	}
	bool stream = strcmp(method, "subscribe") == 0;
	if (stream && !o.text) {
		/* A stream is one JSON object per line, the acknowledgement included. */
		char *s = json_dumps(json_object_get(r, "result"), JSON_COMPACT);
		puts(s ? s : "null");
		free(s);
	} else {
		print_result(json_object_get(r, "result"), o.text);
	}
	fflush(stdout);
	json_decref(r);
	if (stream) {
		/* No SA_RESTART: the blocked read must return so the loop can end. */
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
	}
	fclose(f);
	return 0;
}
