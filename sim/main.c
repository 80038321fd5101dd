/*
 * hearsay-sim: the command line around the simulator library (sim/sim.h).
 *
 *   hearsay-sim --nodes N --rumors R --seed S [--loss P] [--json] [--csv FILE] [--plot FILE]
 *   hearsay-sim --attack NAME [--byzantine M] [--attacker-groups G] [--victims V]
 *               [--attack-start-s T] --nodes N --seed S --json
 *
 * An attack run first runs its benign twin (the same flags and seed, no Byzantine node) and
 * reports both (docs/SIM.md §9).
 * Prints one JSON object with --json (the contract in docs/SIM.md), readable text otherwise;
 * progress goes to stderr: a bar with an ETA on a terminal, else a line every 10 s. Exit status: 0
 * after a run, 64 for a bad command line, 1 when the run or an output file fails.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "overlay/node.h"
#include "overlay/suggest.h"
#include "sim.h"

#define EXIT_USAGE 64

struct cli {
	struct hs_sim_config cfg;
	bool json, rss, quiet;
	const char *csv, *plot;
	const char *scenario;
};

/* How an option's value is read, and where it goes (an offset into struct cli). */
enum opt_kind {
	K_NODES,     /* read in the first pass: the defaults depend on it */
	K_SIZE,      /* size_t, 0..max */
	K_U64,       /* uint64_t, 0..max */
	K_U32,       /* uint32_t, 0..max */
	K_SCENARIO,  /* read in the first pass too: a scenario sets its own defaults */
	K_PROB,      /* double in [0, max] */
	K_NUMBER,    /* double in [-max, max] */
	K_MS,        /* duration in ms (fractions allowed) -> uint64_t ns */
	K_S,         /* duration in s -> uint64_t ns */
	K_SWITCH,    /* bool set to true; takes no value */
	K_STR,       /* const char * */
	K_LATENCY,   /* MIN-MAX in ms */
	K_DIST,      /* uniform | exp | geo */
	K_PARTITION, /* START_S:END_S:FRACTION */
	K_ATTACK,    /* a strategy name (sim/attack.c) */
	K_HELP,
	K_VERSION,
};

struct opt {
	const char *name;
	enum opt_kind kind;
	size_t off;
	double max;
	const char *arg; /* for --help; NULL for a switch */
	const char *help;
};

#define AT(field) offsetof(struct cli, field)
#define SCORE(n, field, what)                                                                      \
	{ n, K_NUMBER, AT(cfg.score.field), 1e6, "P", "points for " what " (core default)" }

static const struct opt opts[] = {
	{ "nodes", K_NODES, 0, 0, "N", "simulated nodes (default 1000)" },
	{ "rumors", K_SIZE, AT(cfg.rumors), 1e6, "R", "rumors to publish (default 10)" },
	{ "seed", K_U64, AT(cfg.seed), 0, "S", "the PRNG seed: same seed, same run (default 1)" },
	{ "loss", K_PROB, AT(cfg.loss), 0.9, "P", "chunk loss probability, 0..0.9 (default 0)" },
	{ "json", K_SWITCH, AT(json), 0, NULL, "print one JSON object instead of text" },
	{ "scenario", K_SCENARIO, AT(scenario), 0, "NAME",
	  "state: each publish also sets a state entry; churn: crashes and restarts under "
	  "membership" },
	{ "churn-s", K_S, AT(cfg.churn_ns), 0, "S",
	  "churn: crashes happen over this (default 60)" },
	{ "crashes", K_SIZE, AT(cfg.crashes), 1e6, "N", "churn: crashes (default nodes/10, >= 2)" },
	{ "csv", K_STR, AT(csv), 0, "FILE", "write coverage over time as CSV" },
	{ "plot", K_STR, AT(plot), 0, "FILE", "write coverage over time as an SVG chart" },
	{ "latency", K_LATENCY, 0, 0, "MIN-MAX",
	  "one-way link latency range in ms (default 20-200)" },
	{ "latency-dist", K_DIST, 0, 0, "D", "uniform | exp | geo (default uniform)" },
	{ "partition", K_PARTITION, 0, 0, "A:B:F",
	  "split a fraction F of nodes off from A to B s after the first publish" },
	{ "eager-push", K_SIZE, AT(cfg.eager_push), 128, "K",
	  "peers a node asks to push new rumors to it, at most (core default)" },
	{ "eager-cover", K_SIZE, AT(cfg.eager_cover_pct), 100, "PCT",
	  "ask the fewest that told it first of PCT % of rumors (core default)" },
	{ "eager-receivers", K_SIZE, AT(cfg.eager_receivers_max), 128, "N",
	  "peers a node pushes to at their request, at most (core default)" },
	{ "eager-wait-max-ms", K_MS, AT(cfg.eager_wait_max_ns), 0, "MS",
	  "longest wait for pushers before asking an announcer (core default)" },
	{ "pull-interval-ms", K_MS, AT(cfg.pull_interval_ns), 0, "MS",
	  "pull interval (core default)" },
	{ "pull-window-s", K_S, AT(cfg.pull_window_ns), 0, "S",
	  "the periodic pull covers rumors younger than this" },
	{ "retention-s", K_S, AT(cfg.retention_ns), 0, "S", "rumors kept and served this long" },
	{ "request-timeout-ms", K_MS, AT(cfg.request_timeout_ns), 0, "MS",
	  "getdata unanswered: ask the next announcer" },
	{ "lazy-delay-ms", K_MS, AT(cfg.lazy_delay_ns), 0, "MS",
	  "fixed wait before a getdata, on top of the push wait" },
	{ "heartbeat-interval-s", K_S, AT(cfg.heartbeat_interval_ns), 0, "S",
	  "our heartbeat re-signed this often (0: none; 0.1 .. 600; churn: core default)" },
	{ "suspect-heartbeats", K_U32, AT(cfg.suspect_heartbeats), 1000, "N",
	  "a member is suspect after N intervals without a heartbeat (core default)" },
	{ "dead-heartbeats", K_U32, AT(cfg.dead_heartbeats), 1000, "N",
	  "a member is dead after N intervals without a heartbeat (core default)" },
	{ "member-reap-s", K_S, AT(cfg.member_reap_ns), 0, "S",
	  "dead and left members stay listed this long (core default)" },
	{ "feeler-interval-s", K_S, AT(cfg.feeler_interval_ns), 0, "S",
	  "a feeler session this often, 0 = none (core default)" },
	{ "outbound", K_SIZE, AT(cfg.outbound), 128, "N",
	  "outbound sessions per node (core default)" },
	{ "peers-max", K_SIZE, AT(cfg.peers_max), 128, "N",
	  "sessions per node, inbound included (core default)" },
	{ "request-nonpreferred-delay-ms", K_MS, AT(cfg.request_nonpreferred_delay_ns), 0, "MS",
	  "extra wait before asking an inbound announcer (core default)" },
	{ "rotate-interval-s", K_S, AT(cfg.rotate_interval_ns), 0, "S",
	  "outbound rotation this often, 0 = off (core default)" },
	{ "addrbook-max", K_SIZE, AT(cfg.addrbook_max), 1e6, "N",
	  "node records per address book (default 256)" },
	{ "verifies-per-s", K_U64, AT(cfg.verifies_per_s), 0, "N",
	  "signature checks per second on peer data, per node (core default)" },
	{ "bantime-s", K_S, AT(cfg.bantime_ns), 0, "S",
	  "a peer below the ban threshold stays banned this long (core default)" },
	SCORE("score-malformed", weight[HS_SCORE_MALFORMED], "a malformed authenticated frame"),
	SCORE("score-protocol", weight[HS_SCORE_PROTOCOL], "a protocol violation"),
	SCORE("score-bad-sig", weight[HS_SCORE_BAD_SIG], "an object with a bad signature"),
	SCORE("score-handshake", weight[HS_SCORE_HANDSHAKE], "a bad identity proof"),
	SCORE("score-rejected", weight[HS_SCORE_REJECTED], "a rumor the validator rejected"),
	SCORE("score-equivocation", weight[HS_SCORE_EQUIVOCATION],
	      "an origin proven to have equivocated"),
	SCORE("score-flood", weight[HS_SCORE_FLOOD], "a frame over the rate limit"),
	SCORE("score-delivered", weight[HS_SCORE_DELIVERED], "first delivery of a valid rumor"),
	SCORE("score-answered", weight[HS_SCORE_ANSWERED], "answering a request"),
	{ "score-gossip", K_NUMBER, AT(cfg.score.gossip_threshold), 1e6, "P",
	  "at or below: no data taken or given (core default)" },
	{ "score-graylist", K_NUMBER, AT(cfg.score.graylist_threshold), 1e6, "P",
	  "at or below: everything ignored (core default)" },
	{ "score-ban", K_NUMBER, AT(cfg.score.ban_threshold), 1e6, "P",
	  "at or below: banned for bantime-s (core default)" },
	{ "score-halflife-s", K_NUMBER, AT(cfg.score.halflife_s), 1e6, "S",
	  "seconds for a score to halve (core default)" },
	{ "payload", K_SIZE, AT(cfg.payload_len), 60000, "BYTES",
	  "rumor payload size (default 256)" },
	{ "seeds", K_SIZE, AT(cfg.seeds), 64, "N",
	  "seed nodes every node bootstraps from (default 4)" },
	{ "seeds-as-peers", K_SWITCH, AT(cfg.seeds_as_peers), 0, NULL,
	  "seeds advertise an address and take regular peers" },
	{ "groups", K_SIZE, AT(cfg.groups), 51200, "N",
	  "network groups the nodes spread over (default nodes/2)" },
	{ "ipv6-fraction", K_PROB, AT(cfg.ipv6_fraction), 1, "F",
	  "honest nodes on IPv6 addresses, in /32 groups, 0..1 (default 0)" },
	{ "join-window-s", K_S, AT(cfg.join_window_ns), 0, "S",
	  "nodes join spread over this (default 2 ms x nodes, 1..60)" },
	{ "warmup-s", K_S, AT(cfg.warmup_ns), 0, "S",
	  "after the join window, before the first publish (default 20)" },
	{ "rumor-interval-ms", K_MS, AT(cfg.rumor_interval_ns), 0, "MS",
	  "between publishes (default 100)" },
	{ "tail-s", K_S, AT(cfg.tail_ns), 0, "S",
	  "give up this long after the last publish (default 30)" },
	{ "dial-timeout-ms", K_MS, AT(cfg.dial_timeout_ns), 0, "MS",
	  "an unanswered dial fails after (default 3000)" },
	{ "attack", K_ATTACK, 0, 0, "NAME",
	  "Byzantine strategy: drop, invalid-sig, spam, withhold, eclipse, replay, equivocate, "
	  "censor, covert-flash, cold-boot, false-suspect (needs heartbeats)" },
	{ "byzantine", K_SIZE, AT(cfg.byzantine), 100000, "M",
	  "Byzantine cores added to the honest nodes (default: nodes)" },
	{ "attacker-groups", K_SIZE, AT(cfg.attacker_groups), 12800, "G",
	  "/16 groups the attackers sit in (default min(32, M))" },
	{ "victims", K_SIZE, AT(cfg.victims), 1e6, "V",
	  "eclipse: honest nodes aimed at, which restart (default 1% of nodes)" },
	{ "attack-start-s", K_S, AT(cfg.attack_start_ns), 0, "T",
	  "strategies act from T s after the clock start (default 0; covert-flash: mid-"
	  "publishing)" },
	{ "victim-restart-s", K_S, AT(cfg.victim_restart_ns), 0, "T",
	  "eclipse: the victims restart at T s (default 5 s before the first publish)" },
	{ "cold-boot-lead-s", K_S, AT(cfg.cold_boot_lead_ns), 0, "S",
	  "cold-boot: attackers join this long before the honest nodes (default 10)" },
	{ "check", K_SWITCH, AT(cfg.check), 0, NULL,
	  "hs_node_check after every input; abort on a broken invariant" },
	{ "verify-cache", K_SIZE, AT(cfg.verify_cache_max), 1 << 30, "N",
	  "memoized verifications kept, 0 = off (default 262144)" },
	{ "log", K_SWITCH, AT(cfg.node_log), 0, NULL, "print the cores' log lines on stderr" },
	{ "rss", K_SWITCH, AT(rss), 0, NULL, "add peak_rss_kb to the report (not deterministic)" },
	{ "quiet", K_SWITCH, AT(quiet), 0, NULL, "no progress output on stderr" },
	{ "help", K_HELP, 0, 0, NULL, "this text" },
	{ "version", K_VERSION, 0, 0, NULL, "print the version" },
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static _Noreturn void usage_error(const char *flag, const char *why)
{
	fprintf(stderr, "hearsay-sim: %s%s%s (see --help)\n", flag ? flag : "", flag ? ": " : "",
	        why);
	exit(EXIT_USAGE);
}

static void help(void)
{
	printf("Usage: hearsay-sim [options]\n"
	       "Runs N real hearsay cores under virtual time and reports how rumors spread.\n\n");
	for (size_t i = 0; i < NOPTS; i++) {
		char left[48];
		snprintf(left, sizeof(left), "--%s%s%s", opts[i].name, opts[i].arg ? " " : "",
		         opts[i].arg ? opts[i].arg : "");
		printf("  %-28s %s\n", left, opts[i].help);
	}
	printf("\nSee docs/SIM.md for the network model and the exact meaning of every metric.\n");
}

/* An unknown flag: names the nearest real one (at most a third of its letters off, two at
 * least), e.g. --eager_push or --eagerpush for --eager-push. */
static _Noreturn void unknown_option(const char *arg)
{
	const char *name = arg + strspn(arg, "-"), *best = NULL;
	char buf[64];
	snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(name, "="), name);
	for (char *c = buf; *c; c++)
		*c = *c == '_' ? '-' : *c;
	size_t bestd = SIZE_MAX;
	for (size_t i = 0; i < NOPTS; i++) {
		size_t d = hs_edit_distance(buf, opts[i].name);
		if (d < bestd) {
			bestd = d;
			best = opts[i].name;
		}
	}
	char why[96];
	if (best && hs_suggest_near(buf, bestd))
		snprintf(why, sizeof(why), "unknown option; did you mean '--%s'?", best);
	else
		snprintf(why, sizeof(why), "unknown option");
	usage_error(arg, why);
}

static uint64_t parse_u64(const char *flag, const char *s, uint64_t max)
{
	char *end;
	errno = 0;
	if (!s || *s < '0' || *s > '9')
		usage_error(flag, "expects a non-negative integer");
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		usage_error(flag, "integer out of range");
	return v;
}

static double parse_double(const char *flag, const char *s, double lo, double hi)
{
	char *end;
	errno = 0;
	if (!s || !*s)
		usage_error(flag, "expects a number");
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < lo || v > hi)
		usage_error(flag, "number missing or out of range");
	return v;
}

/* A duration given in unit_ns units (ms or s), fractions allowed, up to 10^7 s. */
static uint64_t parse_time(const char *flag, const char *s, uint64_t unit_ns)
{
	double v = parse_double(flag, s, 0, 1e7 * 1e9 / (double)unit_ns);
	return (uint64_t)llround(v * (double)unit_ns);
}

static void parse_latency(struct hs_sim_config *c, const char *flag, const char *s)
{
	char buf[64];
	const char *dash = strchr(s, '-');
	if (!dash || strlen(s) >= sizeof(buf))
		usage_error(flag, "expects MIN-MAX in ms, e.g. 20-200");
	memcpy(buf, s, (size_t)(dash - s));
	buf[dash - s] = '\0';
	c->latency_min_ns = parse_time(flag, buf, HS_NS_PER_MS);
	c->latency_max_ns = parse_time(flag, dash + 1, HS_NS_PER_MS);
}

static void parse_dist(struct hs_sim_config *c, const char *flag, const char *v)
{
	if (strcmp(v, "uniform") == 0)
		c->latency_dist = HS_SIM_LAT_UNIFORM;
	else if (strcmp(v, "exp") == 0)
		c->latency_dist = HS_SIM_LAT_EXP;
	else if (strcmp(v, "geo") == 0)
		c->latency_dist = HS_SIM_LAT_GEO;
	else
		usage_error(flag, "expects uniform, exp or geo");
}

static void parse_partition(struct hs_sim_config *c, const char *flag, const char *s)
{
	char buf[96];
	if (strlen(s) >= sizeof(buf))
		usage_error(flag, "expects START_S:END_S:FRACTION");
	strcpy(buf, s);
	char *a = buf, *b = strchr(a, ':'), *f = b ? strchr(b + 1, ':') : NULL;
	if (!b || !f)
		usage_error(flag, "expects START_S:END_S:FRACTION");
	*b++ = '\0';
	*f++ = '\0';
	c->partition = true;
	c->partition_start_ns = (int64_t)llround(parse_double(flag, a, -1e6, 1e6) * 1e9);
	c->partition_end_ns = (int64_t)llround(parse_double(flag, b, -1e6, 1e6) * 1e9);
	c->partition_fraction = parse_double(flag, f, 0, 1);
}

/* Stores one option's value (second pass). */
static void apply(struct cli *cli, const struct opt *o, const char *flag, const char *v)
{
	void *at = (char *)cli + o->off;
	switch (o->kind) {
	case K_SIZE:
		*(size_t *)at = (size_t)parse_u64(flag, v, (uint64_t)o->max);
		break;
	case K_U64:
		*(uint64_t *)at = parse_u64(flag, v, UINT64_MAX);
		break;
	case K_U32:
		*(uint32_t *)at = (uint32_t)parse_u64(flag, v, (uint64_t)o->max);
		break;
	case K_PROB:
		*(double *)at = parse_double(flag, v, 0, o->max);
		break;
	case K_NUMBER:
		*(double *)at = parse_double(flag, v, -o->max, o->max);
		break;
	case K_MS:
		*(uint64_t *)at = parse_time(flag, v, HS_NS_PER_MS);
		break;
	case K_S:
		*(uint64_t *)at = parse_time(flag, v, HS_NS_PER_S);
		break;
	case K_SWITCH:
		*(bool *)at = true;
		break;
	case K_STR:
	case K_SCENARIO:
		*(const char **)at = v;
		break;
	case K_LATENCY:
		parse_latency(&cli->cfg, flag, v);
		break;
	case K_DIST:
		parse_dist(&cli->cfg, flag, v);
		break;
	case K_PARTITION:
		parse_partition(&cli->cfg, flag, v);
		break;
	case K_ATTACK:
		if (hs_sim_attack_parse(v, &cli->cfg.attack) != 0 ||
		    cli->cfg.attack == HS_SIM_ATTACK_NONE)
			usage_error(flag, "unknown attack (see --help)");
		break;
	case K_NODES:
	case K_HELP:
	case K_VERSION:
		break; /* the first pass took these */
	}
}

static const struct opt *find_opt(const char *arg, const char **inline_val, char *name,
                                  size_t namecap)
{
	if (strncmp(arg, "--", 2) != 0)
		return NULL;
	const char *eq = strchr(arg + 2, '=');
	size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	if (len >= namecap)
		return NULL;
	memcpy(name, arg + 2, len);
	name[len] = '\0';
	*inline_val = eq ? eq + 1 : NULL;
	for (size_t i = 0; i < NOPTS; i++)
		if (strcmp(opts[i].name, name) == 0)
			return &opts[i];
	return NULL;
}

/* Pass 1 reads --nodes, --help and --version (the defaults depend on the node count);
 * pass 2 applies every flag over those defaults. */
static void parse(struct cli *cli, int argc, char **argv)
{
	size_t nodes = 1000;
	const char *scenario = NULL;
	for (int pass = 1; pass <= 2; pass++) {
		if (pass == 2) {
			hs_sim_config_default(&cli->cfg, nodes);
			if (scenario && strcmp(scenario, "churn") == 0)
				hs_sim_config_churn(&cli->cfg);
			else if (scenario && strcmp(scenario, "state") == 0)
				cli->cfg.state = true;
			else if (scenario)
				usage_error("--scenario", "unknown scenario (built: state, churn; "
				                          "partition is not built yet)");
			/* Left for hs_sim_config_attack unless a flag sets them. */
			cli->cfg.byzantine = cli->cfg.attacker_groups = HS_SIM_UNSET;
			cli->cfg.victims = HS_SIM_UNSET;
			cli->cfg.attack_start_ns = cli->cfg.victim_restart_ns = UINT64_MAX;
		}
		for (int i = 1; i < argc; i++) {
			char name[40];
			const char *val;
			const struct opt *o = find_opt(argv[i], &val, name, sizeof(name));
			if (!o)
				unknown_option(argv[i]);
			bool takes_value = o->arg != NULL;
			if (takes_value && !val) {
				if (i + 1 >= argc)
					usage_error(argv[i], "needs a value");
				val = argv[++i];
			} else if (!takes_value && val) {
				usage_error(argv[i], "takes no value");
			}
			if (pass == 1 && o->kind == K_HELP) {
				help();
				exit(0);
			}
			if (pass == 1 && o->kind == K_VERSION) {
				printf("hearsay-sim %s\n", HS_VERSION);
				exit(0);
			}
			if (pass == 1 && o->kind == K_NODES)
				nodes = (size_t)parse_u64("--nodes", val, 1000000);
			if (pass == 1 && o->kind == K_SCENARIO)
				scenario = val;
			if (pass == 2) {
				char flag[48];
				snprintf(flag, sizeof(flag), "--%s", o->name);
				apply(cli, o, flag, val);
			}
		}
	}
	if (cli->cfg.attack == HS_SIM_ATTACK_NONE &&
	    (cli->cfg.byzantine != HS_SIM_UNSET || cli->cfg.attacker_groups != HS_SIM_UNSET ||
	     cli->cfg.victims != HS_SIM_UNSET || cli->cfg.attack_start_ns != UINT64_MAX))
		usage_error(NULL, "--byzantine, --attacker-groups, --victims and --attack-start-s "
		                  "need --attack");
	hs_sim_config_attack(&cli->cfg);
	const char *why = hs_sim_config_check(&cli->cfg);
	if (why)
		usage_error(NULL, why);
}

/* ---- progress ---------------------------------------------------------------------------- */

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct progress_state {
	bool tty;
	double started, last; /* wall clock: this run's start, the last line drawn */
	double last_fraction;
};

static void format_duration(char *buf, size_t cap, double s)
{
	if (s >= 3600)
		snprintf(buf, cap, "%dh%02dm", (int)(s / 3600), (int)fmod(s / 60, 60));
	else if (s >= 60)
		snprintf(buf, cap, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
	else
		snprintf(buf, cap, "%.0fs", s);
}

/* On a terminal: a bar redrawn every 0.1 s with a wall-clock ETA. Otherwise (a log, a CI
 * job): one line every 10 s, so a long run shows it is alive without flooding the log. */
static void progress(void *ctx, const struct hs_sim_progress *p)
{
	struct progress_state *ps = ctx;
	double t = wall_now();
	if (p->fraction < ps->last_fraction || ps->started == 0) /* a new run (benign twin) */
		ps->started = ps->last = t;
	ps->last_fraction = p->fraction;
	char eta[32] = "?";
	if (p->fraction > 0.01)
		format_duration(eta, sizeof(eta),
		                (t - ps->started) * (1 - p->fraction) / p->fraction);
	/* What the run counts: deliveries, or the churn scenario's crashes. */
	const char *what = p->churn ? "crashes" : "deliveries";
	unsigned long long done = p->churn ? p->crashes : p->deliveries;
	unsigned long long all = p->churn ? p->crashes_max : p->deliveries_max;
	if (!ps->tty) {
		if (t - ps->last < 10)
			return;
		ps->last = t;
		fprintf(stderr, "hearsay-sim: %3.0f%% %s, virtual t=%.1f s, %s %llu/%llu, eta %s\n",
		        100 * p->fraction, p->phase, p->virtual_s, what, done, all, eta);
		return;
	}
	if (t - ps->last < 0.1 && p->fraction < 1)
		return;
	ps->last = t;
	char bar[41];
	int fill = (int)(p->fraction * 40);
	for (int i = 0; i < 40; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[40] = '\0';
	fprintf(stderr, "\r[%s] %3.0f%% %-11s t=%7.1fs  %s %llu/%llu  eta %-7s", bar,
	        100 * p->fraction, p->phase, p->virtual_s, what, done, all,
	        p->fraction < 1 ? eta : "0s");
	fflush(stderr);
}

/* An output file is checked before the run: its directory exists and is writable, and the
 * file, if there, is a writable regular file (exit 1 otherwise). So a typo costs no
 * simulation time. */
static _Noreturn void output_error(const char *flag, const char *why)
{
	fprintf(stderr, "hearsay-sim: %s: %s; nothing was run\n", flag, why);
	exit(1);
}

static void check_output(const char *flag, const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!*path || strlen(path) >= sizeof(dir))
		output_error(flag, "expects a file path");
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	struct stat st;
	char why[4200];
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(why, sizeof(why), "cannot write %s: the directory %s does not exist", path,
		         dir);
		output_error(flag, why);
	}
	if (access(dir, W_OK) != 0 && (stat(path, &st) != 0 || access(path, W_OK) != 0)) {
		snprintf(why, sizeof(why), "cannot write %s: the directory %s is not writable",
		         path, dir);
		output_error(flag, why);
	}
	if (stat(path, &st) == 0 && (!S_ISREG(st.st_mode) || access(path, W_OK) != 0)) {
		snprintf(why, sizeof(why), "%s is %s", path,
		         S_ISDIR(st.st_mode) ? "a directory" : "not a writable file");
		output_error(flag, why);
	}
}

static int write_file(const char *path, const struct hs_sim *sim, bool svg)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "hearsay-sim: %s: %s\n", path, strerror(errno));
		return 1;
	}
	int err = svg ? hs_sim_write_svg(f, sim) : hs_sim_write_csv(f, sim);
	if (fclose(f) != 0 || err) {
		fprintf(stderr, "hearsay-sim: %s: cannot write\n", path);
		return 1;
	}
	fprintf(stderr, "hearsay-sim: wrote %s\n", path);
	return 0;
}

/* One run to its end; its report in *rep, the simulator (to free) returned; NULL on failure. */
static struct hs_sim *run_one(const struct hs_sim_config *cfg, struct hs_sim_report *rep, bool bar)
{
	struct hs_sim *sim;
	int err = hs_sim_new(&sim, cfg);
	if (err) {
		fprintf(stderr, "hearsay-sim: cannot set up: %s\n", hs_strerror(err));
		return NULL;
	}
	err = hs_sim_run(sim);
	if (bar)
		fprintf(stderr, "\n");
	if (err) {
		fprintf(stderr, "hearsay-sim: run failed: %s\n", hs_strerror(err));
		hs_sim_del(sim);
		return NULL;
	}
	hs_sim_get_report(sim, rep);
	return sim;
}

int main(int argc, char **argv)
{
	struct cli cli;
	memset(&cli, 0, sizeof(cli));
	parse(&cli, argc, argv);
	if (cli.csv)
		check_output("--csv", cli.csv);
	if (cli.plot)
		check_output("--plot", cli.plot);
	struct progress_state ps = { .tty = isatty(STDERR_FILENO) };
	bool bar = !cli.quiet && ps.tty;
	if (!cli.quiet) {
		cli.cfg.progress = progress;
		cli.cfg.progress_ctx = &ps;
	}
	struct hs_sim_report benign;
	bool attack = cli.cfg.byzantine > 0;
	if (attack) {
		/* The benign twin: the same seed and scenario, no Byzantine node. */
		struct hs_sim_config twin = cli.cfg;
		twin.byzantine = 0;
		struct hs_sim *b = run_one(&twin, &benign, bar);
		if (!b)
			return 1;
		hs_sim_del(b);
	}
	struct hs_sim_report rep;
	struct hs_sim *sim = run_one(&cli.cfg, &rep, bar);
	if (!sim)
		return 1;
	struct rusage ru;
	long rss = 0;
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		rss = ru.ru_maxrss;
	if (cli.json && attack)
		hs_sim_write_attack_json(stdout, sim, &rep, &benign, cli.rss ? rss : 0);
	else if (cli.json)
		hs_sim_write_json(stdout, sim, &rep, cli.rss ? rss : 0);
	else
		hs_sim_write_text(stdout, sim, &rep, rss);
	if (attack && !cli.json)
		printf("benign twin        delivery %.6f, latency ms p50 %.1f p99 %.1f max %.1f\n",
		       benign.delivery_ratio, benign.latency_ms.p50, benign.latency_ms.p99,
		       benign.latency_ms.max);
	int status = 0;
	if (cli.csv)
		status |= write_file(cli.csv, sim, false);
	if (cli.plot)
		status |= write_file(cli.plot, sim, true);
	hs_sim_del(sim);
	return status;
}
