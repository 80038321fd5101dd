/*
 * node/: hearsayd's configuration — bitcoind style.
 *
 * DATADIR/hearsay.conf holds key=value lines ('#' comments, no sections); every key is also a
 * command-line flag -key=value (or --key=value; a bare -key means key=1), and flags override
 * the file. Repeatable keys (connect, addnode, seednode, dnsseed, topics) accumulate within one
 * source; given on the command line they replace the file's list. Peers and seeds are named by
 * address or by host name (hs_endpoint_parse); names are resolved by the daemon, off its event
 * loop, each time it dials them. Unknown keys and bad values are
 * errors that name the key, the source and the expected form. docs/CONFIG.md lists every key.
 */
#ifndef HEARSAY_CONFIG_H
#define HEARSAY_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/limits.h"
#include "base/netaddr.h"
#include "reputation/score.h"

#define HS_CONFIG_ADDRS_MAX 32
#define HS_CONFIG_PATH_MAX  4096
/* Core knob slots in struct hs_config (one bit each in knob_set). */
#define HS_CONFIG_KNOBS 32

struct hs_node_config;
/* A DNS name in text form, without a trailing dot (RFC 1035 §2.3.4). */
#define HS_HOSTNAME_MAX 253

enum hs_config_result {
	HS_CONFIG_OK = 0,
	HS_CONFIG_HELP = 1,    /* --help was asked: print hs_config_usage, exit 0 */
	HS_CONFIG_VERSION = 2, /* --version */
	HS_CONFIG_USAGE = 64,  /* EX_USAGE: a bad command-line flag */
	HS_CONFIG_BAD = 78,    /* EX_CONFIG: a bad config file or value */
};

/* A peer or seed as configured: an IP address and port, or a host name and port. */
struct hs_endpoint {
	struct hs_netaddr addr;         /* when host is empty */
	char host[HS_HOSTNAME_MAX + 1]; /* a DNS name (lowercase, no trailing dot), or empty */
	uint16_t port;                  /* the port, for both forms */
};

struct hs_addr_list {
	struct hs_endpoint items[HS_CONFIG_ADDRS_MAX];
	size_t count;
	bool from_cli; /* set on the command line: replaces the file's list */
};

/* topicsigners=TOPIC:KEY[,KEY...]: only rumors signed by these origins are taken on TOPIC. */
struct hs_signer_policy {
	char topic[HS_TOPIC_MAX + 1];
	size_t nkeys;
	uint8_t keys[HS_SIGNERS_PER_TOPIC_MAX][32];
};

struct hs_config {
	char datadir[HS_CONFIG_PATH_MAX];
	char conf[HS_CONFIG_PATH_MAX]; /* default DATADIR/hearsay.conf */
	char network[HS_NETWORK_MAX + 1];
	bool listen_on;               /* listen=0 disables listening */
	struct hs_netaddr listen;     /* default 0.0.0.0:7070 */
	struct hs_addr_list connect;  /* only these peers: no other outbound, no seeds */
	struct hs_addr_list addnode;  /* always keep these connected */
	struct hs_addr_list seednode; /* ask for addresses, then leave */
	struct hs_addr_list dnsseed;  /* host names whose A/AAAA answers are seeds (names only) */
	unsigned maxconnections;      /* default 64 */
	unsigned maxoutbound;         /* default 8 */
	uint64_t bantime_s;           /* default 86400 */
	bool all_topics;              /* default: relay and keep every topic */
	size_t ntopics;
	char topics[HS_HELLO_TOPICS_MAX][HS_TOPIC_MAX + 1];
	bool topics_from_cli;
	char rpcsocket[HS_CONFIG_PATH_MAX]; /* default DATADIR/rpc.sock */
	/* JSON-RPC over HTTP (docs/RPC.md): rpcbind addresses (port 0: rpcport), default
	 * 127.0.0.1 and ::1; rpcport 0 turns the HTTP server off. */
	struct hs_netaddr rpcbind[HS_RPCBIND_MAX];
	size_t nrpcbind;
	bool rpcbind_from_cli;
	uint16_t rpcport; /* default 7071 */
	/* Remote clients allowed besides loopback (IP or IP/BITS); a non-loopback rpcbind is
	 * refused unless at least one is set. */
	struct hs_netaddr rpcallowip[HS_RPCALLOWIP_MAX];
	uint8_t rpcallowip_bits[HS_RPCALLOWIP_MAX];
	size_t nrpcallowip;
	bool rpcallowip_from_cli;
	char rpcauth[HS_RPCAUTH_MAX][HS_RPCAUTH_LEN]; /* USER:SALT$HMAC-SHA256-HEX */
	size_t nrpcauth;
	bool rpcauth_from_cli;
	uint64_t rpcservertimeout_s; /* default HS_RPC_HTTP_TIMEOUT_S */
	/* A plain-text HTTP user (bitcoind's rpcuser/rpcpassword; rpcauth keeps no password). */
	char rpcuser[HS_RPCAUTH_LEN];
	char rpcpassword[HS_RPCAUTH_LEN];
	char rpccookiefile[HS_CONFIG_PATH_MAX]; /* default DATADIR/.cookie */
	char rpcconnect[HS_RPCAUTH_LEN];        /* hearsay-cli's; hearsayd ignores it */
	int loglevel;         /* hs_log_level: error, warn, info (default), debug */
	bool upnp;            /* default off */
	bool server;          /* serve JSON-RPC (socket and HTTP); hearsayd's default on */
	uint64_t upnplease_s; /* UPnP lease, default 3600; 0: permanent */
	bool metrics_on;      /* metrics=IP:PORT enables the Prometheus endpoint */
	struct hs_netaddr metrics;
	bool metrics_allow_remote; /* a non-loopback metrics address is refused without it */
	bool seed; /* seed mode: crawl, verified getaddr answers (overlay/crawl.h) */
	uint64_t crawlinterval_ms; /* seed mode: a new crawl visit at most this often; 0: default */
	bool ignorestoredamage;    /* start although a store table cannot be read (loss logged) */
	struct hs_netaddr externalip; /* advertised address when it differs from listen */
	bool externalip_set;
	/* Core knobs (docs/KNOBS.md): values in the unit their key names, knob_set bit i when
	 * knob[i] was given; hs_config_node_knobs copies them into a node config. */
	uint64_t knob[HS_CONFIG_KNOBS];
	uint32_t knob_set;
	/* Validation (docs/OPERATIONS.md "Signer policies and validators"). Repeated topicsigners
	 * lines for one topic add keys. */
	struct hs_signer_policy topicsigners[HS_SIGNER_TOPICS_MAX];
	size_t ntopicsigners;
	bool topicsigners_from_cli;
	uint64_t validatetimeout_ms; /* default 2000 */
	int validatedefault;         /* enum hs_verdict: HS_IGNORE (default), HS_ACCEPT or
	                              * HS_REJECT_ORIGIN ("reject") */
	/* The penalty policy: every weight and threshold (score* keys; defaults and reasons in
	 * hs_score_params_default); checked to form a ladder. */
	struct hs_score_params score;
};

/* Fills defaults, reads the file and the flags. On an error, err holds one line naming the key.
 * argv[0] is skipped. */
enum hs_config_result hs_config_load(struct hs_config *cfg, int argc, char **argv, char *err,
                                     size_t errlen);
/* The same, with a program's defaults ("key=value") applied over the built-in ones, below the
 * file and the flags (hs_host_set_default). */
enum hs_config_result hs_config_load_with(struct hs_config *cfg, size_t ndefs,
                                          const char *const *defs, int argc, char **argv, char *err,
                                          size_t errlen);
enum hs_config_result hs_config_reload_with(const struct hs_config *current,
                                            struct hs_config *fresh, size_t ndefs,
                                            const char *const *defs, int argc, char **argv,
                                            char *err, size_t errlen);
/* Re-reads the config file for SIGHUP into fresh (flags still override). */
enum hs_config_result hs_config_reload(const struct hs_config *current, struct hs_config *fresh,
                                       int argc, char **argv, char *err, size_t errlen);
/* Writes the core knobs the config sets into nc (leaving the others as they are). */
void hs_config_node_knobs(const struct hs_config *cfg, struct hs_node_config *nc);
/* The key nearest to an unknown name (edit distance), or NULL if none is close. */
const char *hs_config_suggest(const char *name);
/* The --help text. */
const char *hs_config_usage(void);

/* True for 127.0.0.0/8 and ::1. */
bool hs_netaddr_is_loopback(const struct hs_netaddr *a);
/* Parses "IPv4:PORT" or "[IPv6]:PORT" (port required unless default_port != 0). */
bool hs_netaddr_parse(struct hs_netaddr *a, const char *text, uint16_t default_port);
/* Parses "HOST:PORT", "IPv4:PORT" or "[IPv6]:PORT"; the port may be left out when
 * default_port != 0. HOST is a DNS name: labels of 1..63 letters, digits, '-' or '_' (not
 * starting or ending with '-'), separated by dots, 253 characters at most, an optional
 * trailing dot; it is stored lowercase without the dot. A last label of digits only is taken
 * for a mistyped IPv4 address and refused. On failure *why (if why is not NULL) is one short
 * phrase naming the fault, e.g. "the port must be 1..65535". */
bool hs_endpoint_parse(struct hs_endpoint *e, const char *text, uint16_t default_port,
                       const char **why);
/* "HOST:PORT" or the address's text form. */
void hs_endpoint_format(const struct hs_endpoint *e, char *out, size_t outlen);

#endif
