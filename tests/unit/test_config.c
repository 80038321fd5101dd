/*
 * node/config.c: the HOST:PORT / IP:PORT / [IPv6]:PORT parser (hs_endpoint_parse) table by
 * table — names, IPv4, bracketed IPv6, default ports, and every bad form with the phrase that
 * names its fault — and the connect/addnode/seednode/dnsseed keys built on it, including the
 * error line a bad value gives.
 */
#include <string.h>

#include "harness.h"
#include "node/config.h"
#include "overlay/node.h"

struct good {
	const char *text;
	uint16_t default_port;
	const char *host; /* NULL: an address */
	const char *addr; /* hs_netaddr_format of it */
	uint16_t port;
};

static const struct good goods[] = {
	{ "seed.example.org:7070", 0, "seed.example.org", NULL, 7070 },
	{ "Seed.Example.ORG.:7070", 0, "seed.example.org", NULL, 7070 }, /* lowercase, root dot */
	{ "seed1.hearsay.test", 7070, "seed1.hearsay.test", NULL, 7070 },
	{ "localhost:1", 0, "localhost", NULL, 1 },
	{ "a-b_c.x9:65535", 0, "a-b_c.x9", NULL, 65535 },
	{ "1a.example:80", 0, "1a.example", NULL, 80 },
	{ "10.0.0.1:7070", 0, NULL, "10.0.0.1:7070", 7070 },
	{ "10.0.0.1", 9000, NULL, "10.0.0.1:9000", 9000 },
	{ "[::1]:7070", 0, NULL, "[::1]:7070", 7070 },
	{ "[2001:db8::7]", 7070, NULL, "[2001:db8::7]:7070", 7070 },
	{ "[::]:5", 0, NULL, "[::]:5", 5 },
	{ "[::ffff:1.2.3.4]:5", 0, NULL, "1.2.3.4:5", 5 }, /* mapped: canonical IPv4 */
};

struct bad {
	const char *text;
	uint16_t default_port;
	const char *why; /* a word of the reason */
};

static const struct bad bads[] = {
	{ "", 7070, "empty" },
	{ ":7070", 7070, "host is empty" },
	{ "seed.example.org:", 7070, "port" },
	{ "seed.example.org:0", 7070, "port" },
	{ "seed.example.org:65536", 7070, "port" },
	{ "seed.example.org:70x", 7070, "port" },
	{ "seed.example.org:-1", 7070, "port" },
	{ "seed.example.org", 0, "port is needed" },
	{ "::1", 7070, "brackets" },
	{ "2001:db8::1:7070", 7070, "brackets" },
	{ "a:b:c", 7070, "more than one ':'" },
	{ "[::1", 7070, "without its ']'" },
	{ "[::1]x", 7070, "after ']'" },
	{ "[1.2.3.4]:5", 7070, "not an IPv6 address" },
	{ "[seed.example.org]:5", 7070, "not an IPv6 address" },
	{ "1.2.3:5", 7070, "IPv4" },
	{ "256.1.1.1:5", 7070, "IPv4" },
	{ "seed..example:5", 7070, "empty label" },
	{ ".seed:5", 7070, "empty label" },
	{ "-seed.example:5", 7070, "'-'" },
	{ "seed-.example:5", 7070, "'-'" },
	{ "se ed:5", 7070, "letters, digits" },
	{ "seed/1:5", 7070, "letters, digits" },
	{ "seed@x:5", 7070, "letters, digits" },
	{ "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.example:5", 7070,
	  "63 characters" },
};

static void test_good(void)
{
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		struct hs_endpoint e;
		const char *why = NULL;
		bool ok = hs_endpoint_parse(&e, g->text, g->default_port, &why);
		if (!ok)
			fprintf(stderr, "'%s' refused: %s\n", g->text, why);
		CHECK(ok);
		if (!ok)
			continue;
		CHECK_EQ(e.port, g->port);
		if (g->host) {
			CHECK(strcmp(e.host, g->host) == 0);
		} else {
			char a[HS_NETADDR_STRLEN];
			CHECK_EQ(e.host[0], '\0');
			hs_netaddr_format(&e.addr, a);
			CHECK(strcmp(a, g->addr) == 0);
			CHECK_EQ(e.addr.port, g->port);
		}
		char back[HS_HOSTNAME_MAX + 16];
		hs_endpoint_format(&e, back, sizeof(back));
		struct hs_endpoint again;
		CHECK(hs_endpoint_parse(&again, back, 0, NULL));
		CHECK(strcmp(again.host, e.host) == 0 && again.port == e.port);
	}
}

static void test_bad(void)
{
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		struct hs_endpoint e;
		const char *why = NULL;
		CHECK(!hs_endpoint_parse(&e, b->text, b->default_port, &why));
		CHECK(why != NULL);
		bool named = why && strstr(why, b->why) != NULL;
		if (!named)
			fprintf(stderr, "'%s': reason '%s' lacks '%s'\n", b->text,
			        why ? why : "(none)", b->why);
		CHECK(named);
	}
}

/* Lengths at the edges: a 63-character label and a 253-character name pass, one more fails. */
static void test_lengths(void)
{
	char name[300], text[320];
	struct hs_endpoint e;
	const char *why;
	memset(name, 'a', 63);
	name[63] = '\0';
	snprintf(text, sizeof(text), "%s.x:1", name);
	CHECK(hs_endpoint_parse(&e, text, 0, &why));
	/* 4 labels of 62 + 3 dots = 251, + ".b" = 253 */
	size_t n = 0;
	for (int l = 0; l < 4; l++) {
		memset(name + n, 'a', 62);
		n += 62;
		name[n++] = '.';
	}
	name[n++] = 'b';
	name[n] = '\0';
	CHECK_EQ(strlen(name), 253u);
	snprintf(text, sizeof(text), "%s:1", name);
	CHECK(hs_endpoint_parse(&e, text, 0, &why));
	CHECK_EQ(strlen(e.host), 253u);
	snprintf(text, sizeof(text), "%sc:1", name);
	CHECK(!hs_endpoint_parse(&e, text, 0, &why));
	CHECK(strstr(why, "253") != NULL);
	snprintf(text, sizeof(text), "%s.:1", name); /* the root dot does not count */
	CHECK(hs_endpoint_parse(&e, text, 0, &why));
}

/* hs_config_load over a copy of args (argv is not const). */
static enum hs_config_result load(struct hs_config *c, char *err, size_t errlen, int argc,
                                  const char *const *args)
{
	static char buf[16][128];
	char *argv[16];
	REQUIRE(argc <= 16);
	for (int i = 0; i < argc; i++) {
		REQUIRE(strlen(args[i]) < sizeof(buf[i]));
		strcpy(buf[i], args[i]);
		argv[i] = buf[i];
	}
	return hs_config_load(c, argc, argv, err, errlen);
}

/* The keys: names and addresses in one list, dnsseed names only, the error line. */
static void test_keys(void)
{
	static struct hs_config c;
	char err[512];
	const char *const ok_argv[] = { "hearsayd",
		                        "-datadir=/nonexistent/hearsay-test-config",
		                        "-seednode=seed1.hearsay.test:7071",
		                        "-seednode=10.1.2.3",
		                        "-addnode=[::1]:7072",
		                        "-addnode=peer.hearsay.test",
		                        "-connect=127.0.0.1:7073",
		                        "-dnsseed=seeds.hearsay.test",
		                        "-dnsseed=seeds2.hearsay.test:9000" };
	CHECK_EQ(load(&c, err, sizeof(err), 9, ok_argv), HS_CONFIG_OK);
	CHECK_EQ(c.seednode.count, 2u);
	CHECK(strcmp(c.seednode.items[0].host, "seed1.hearsay.test") == 0);
	CHECK_EQ(c.seednode.items[0].port, 7071);
	CHECK_EQ(c.seednode.items[1].host[0], '\0');
	CHECK_EQ(c.seednode.items[1].addr.port, 7070); /* the default port */
	CHECK_EQ(c.addnode.count, 2u);
	CHECK_EQ(c.addnode.items[0].addr.family, HS_AF_INET6);
	CHECK(strcmp(c.addnode.items[1].host, "peer.hearsay.test") == 0);
	CHECK_EQ(c.addnode.items[1].port, 7070);
	CHECK_EQ(c.connect.count, 1u);
	CHECK_EQ(c.dnsseed.count, 2u);
	CHECK(strcmp(c.dnsseed.items[0].host, "seeds.hearsay.test") == 0);
	CHECK_EQ(c.dnsseed.items[0].port, 7070);
	CHECK_EQ(c.dnsseed.items[1].port, 9000);

	const char *const bad_seed[] = { "hearsayd", "-datadir=/nonexistent/hearsay-test-config",
		                         "-seednode=seed1.hearsay.test:99999" };
	CHECK_EQ(load(&c, err, sizeof(err), 3, bad_seed), HS_CONFIG_USAGE);
	CHECK(strstr(err, "-seednode") && strstr(err, "HOST:PORT") && strstr(err, "1..65535"));

	const char *const v6[] = { "hearsayd", "-datadir=/nonexistent/hearsay-test-config",
		                   "-addnode=::1" };
	CHECK_EQ(load(&c, err, sizeof(err), 3, v6), HS_CONFIG_USAGE);
	CHECK(strstr(err, "brackets") != NULL);

	const char *const dns_ip[] = { "hearsayd", "-datadir=/nonexistent/hearsay-test-config",
		                       "-dnsseed=10.0.0.1" };
	CHECK_EQ(load(&c, err, sizeof(err), 3, dns_ip), HS_CONFIG_USAGE);
	CHECK(strstr(err, "dnsseed") && strstr(err, "seednode="));

	const char *const ext[] = { "hearsayd", "-datadir=/nonexistent/hearsay-test-config",
		                    "-externalip=[::]:7070" };
	CHECK_EQ(load(&c, err, sizeof(err), 3, ext), HS_CONFIG_USAGE);
	CHECK(strstr(err, "externalip") != NULL);

	const char *const listen6[] = { "hearsayd", "-datadir=/nonexistent/hearsay-test-config",
		                        "-listen=[::]:7070" };
	CHECK_EQ(load(&c, err, sizeof(err), 3, listen6), HS_CONFIG_OK);
	CHECK_EQ(c.listen.family, HS_AF_INET6);
}

/* topicsigners accumulates keys per topic; validate_timeout_ms and validate_default. */
static void test_validation_keys(void)
{
	static struct hs_config c;
	char err[512];
#define K1 "2f1c0000000000000000000000000000000000000000000000000000000000e0"
#define K2 "91B4000000000000000000000000000000000000000000000000000000000033"
	const char *const ok[] = { "hearsayd",
		                   "-datadir=/nonexistent/hearsay-test-config",
		                   "-topicsigners=blocks:" K1,
		                   "-topicsigners=blocks:" K2,
		                   "-topicsigners=releases:" K2,
		                   "-validate_timeout_ms=500",
		                   "-validate_default=reject" };
	CHECK_EQ(load(&c, err, sizeof(err), 7, ok), HS_CONFIG_OK);
	CHECK_EQ(c.ntopicsigners, 2u);
	CHECK(strcmp(c.topicsigners[0].topic, "blocks") == 0);
	CHECK_EQ(c.topicsigners[0].nkeys, 2u);
	CHECK_EQ(c.topicsigners[0].keys[0][0], 0x2f);
	CHECK_EQ(c.topicsigners[0].keys[0][31], 0xe0);
	CHECK_EQ(c.topicsigners[0].keys[1][0], 0x91); /* upper-case hex is taken */
	CHECK(strcmp(c.topicsigners[1].topic, "releases") == 0);
	CHECK_EQ(c.topicsigners[1].nkeys, 1u);
	CHECK_EQ(c.validatetimeout_ms, 500u);
	CHECK_EQ(c.validatedefault, HS_REJECT_ORIGIN);

	const char *const dflt[] = { "hearsayd", "-datadir=/nonexistent/hearsay-test-config" };
	CHECK_EQ(load(&c, err, sizeof(err), 2, dflt), HS_CONFIG_OK);
	CHECK_EQ(c.ntopicsigners, 0u);
	CHECK_EQ(c.validatetimeout_ms, 2000u);
	CHECK_EQ(c.validatedefault, HS_IGNORE);

	static const char *const refused[] = {
		"-topicsigners=blocks",         /* no keys */
		"-topicsigners=:" K1,           /* no topic */
		"-topicsigners=blocks:2f1c",    /* short key */
		"-topicsigners=blocks:" K1 ",", /* empty key */
		"-topicsigners=blocks:zz" K1,   /* not hex, too long */
		"-topicsigners=bl ocks:" K1,    /* a bad topic name */
		"-validate_timeout_ms=5",       /* below 10 ms */
		"-validate_default=maybe",
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const char *const argv[] = { "hearsayd",
			                     "-datadir=/nonexistent/hearsay-test-config",
			                     refused[i] };
		CHECK_EQ(load(&c, err, sizeof(err), 3, argv), HS_CONFIG_USAGE);
		CHECK(strstr(err, "expected") != NULL); /* the error line says the form */
	}
#undef K1
#undef K2
}

/* The membership knobs reach the node config in their units; each bound, and dead above
 * suspect (given or default), is checked with an error naming the keys. */
static void test_membership_keys(void)
{
	static struct hs_config c;
	char err[512];
	struct hs_node_config nc;
	const char *const ok[] = { "hearsayd",
		                   "-datadir=/nonexistent/hearsay-test-config",
		                   "-heartbeat_interval_s=2",
		                   "-suspect_heartbeats=4",
		                   "-dead_heartbeats=9",
		                   "-member_reap_s=3600" };
	CHECK_EQ(load(&c, err, sizeof(err), 6, ok), HS_CONFIG_OK);
	hs_node_config_default(&nc);
	hs_config_node_knobs(&c, &nc);
	CHECK_EQ(nc.heartbeat_interval_ns, 2 * HS_NS_PER_S);
	CHECK_EQ(nc.suspect_heartbeats, 4u);
	CHECK_EQ(nc.dead_heartbeats, 9u);
	CHECK_EQ(nc.member_reap_ns, 3600 * HS_NS_PER_S);

	const char *const dflt[] = { "hearsayd", "-datadir=/nonexistent/hearsay-test-config" };
	CHECK_EQ(load(&c, err, sizeof(err), 2, dflt), HS_CONFIG_OK);
	hs_node_config_default(&nc);
	hs_config_node_knobs(&c, &nc);
	CHECK_EQ(nc.heartbeat_interval_ns, 10 * HS_NS_PER_S);
	CHECK_EQ(nc.suspect_heartbeats, 3u);
	CHECK_EQ(nc.dead_heartbeats, 6u);
	CHECK_EQ(nc.member_reap_ns, 86400 * HS_NS_PER_S);

	const char *const off[] = { "hearsayd", "-datadir=/nonexistent/hearsay-test-config",
		                    "-heartbeat_interval_s=0" };
	CHECK_EQ(load(&c, err, sizeof(err), 3, off), HS_CONFIG_OK);
	hs_node_config_default(&nc);
	hs_config_node_knobs(&c, &nc);
	CHECK_EQ(nc.heartbeat_interval_ns, 0u);

	static const struct {
		const char *flag, *says;
	} refused[] = {
		{ "-heartbeat_interval_s=601", "0..600" },  /* over HS_HEARTBEAT_INTERVAL_MAX_MS */
		{ "-heartbeat_interval_s=0.5", "seconds" }, /* whole seconds */
		{ "-suspect_heartbeats=0", "1..999" },      { "-dead_heartbeats=1001", "2..1000" },
		{ "-member_reap_s=0", "seconds" },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		const char *const argv[] = { "hearsayd",
			                     "-datadir=/nonexistent/hearsay-test-config",
			                     refused[i].flag };
		CHECK_EQ(load(&c, err, sizeof(err), 3, argv), HS_CONFIG_USAGE);
		CHECK(strstr(err, "expected") && strstr(err, refused[i].says));
	}
	/* dead must exceed suspect, the default of the one not given included. */
	const char *const dead3[] = { "hearsayd", "-datadir=/nonexistent/hearsay-test-config",
		                      "-dead_heartbeats=3" };
	CHECK_EQ(load(&c, err, sizeof(err), 3, dead3), HS_CONFIG_BAD);
	CHECK(strstr(err, "dead_heartbeats (3)") && strstr(err, "suspect_heartbeats (3)"));
	const char *const suspect6[] = { "hearsayd", "-datadir=/nonexistent/hearsay-test-config",
		                         "-suspect_heartbeats=6" };
	CHECK_EQ(load(&c, err, sizeof(err), 3, suspect6), HS_CONFIG_BAD);
	CHECK(strstr(err, "must be more than") != NULL);
}

int main(void)
{
	RUN(test_good);
	RUN(test_bad);
	RUN(test_lengths);
	RUN(test_keys);
	RUN(test_validation_keys);
	RUN(test_membership_keys);
	return hs_test_done();
}
