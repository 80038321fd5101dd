/*
 * UPnP port mapping (upnp=1; off by default).
 *
 * miniupnpc's calls block: discovery waits HS_UPNP_DISCOVER_MS for answers, and each SOAP
 * request waits seconds for a gateway that accepts a connection and then stalls (or dribbles
 * bytes). So they all run on one thread of their own, never on the loop: it discovers the
 * gateway, maps the listening port, renews the lease at half its length (upnplease, or every
 * HS_UPNP_REFRESH_S for a permanent one), retries a failure after HS_UPNP_RETRY_S, and removes
 * the mapping when asked to stop. Not libuv's pool: a pool job cannot be abandoned, and the
 * loop's last run at exit would wait for one stuck on a silent gateway; this thread can be
 * left behind after HS_UPNP_STOP_MS.
 *
 * The thread touches no daemon state. It hands the loop, under the mutex, what changed (the
 * external address, the status shown by getnetworkinfo) and its log lines, and wakes it with
 * an async handle; the loop prints the lines and puts the external address into our signed
 * record (hs_node_set_addrs).
 *
 * Attacker model: anything on the LAN may answer the discovery and the requests with any bytes
 * at any pace. miniupnpc parses them; the worst it can do here is delay this thread or make it
 * report a mapping that does not work. Only an IPv4 address that parses, and is public, reaches
 * the record.
 */
#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "base/limits.h"
#include "daemon_impl.h"

enum status { SEARCHING, MAPPED, FAILED, STOPPED };
static const char *const status_names[] = { "searching", "mapped", "failed", "stopped" };

struct logline {
	enum hs_log_level level;
	char text[240];
};

struct hs_upnp {
	/* The loop's. */
	struct hs_daemon *d;
	uv_async_t async;
	uv_thread_t thread;
	struct hs_netaddr base[2]; /* what the record advertises without UPnP */
	size_t nbase;
	bool advertised;

	/* Set before the thread starts, then read-only. */
	char port[8];
	char listen_ip[INET_ADDRSTRLEN]; /* empty: listening on 0.0.0.0 */

	/* The thread's alone. */
	uint64_t lease_s; /* upnplease, until a gateway takes only permanent mappings */
	struct UPNPUrls urls;
	struct IGDdatas data;
	bool have_igd, mapped;
	char lan[64];

	/* Shared, under mu. */
	uv_mutex_t mu;
	uv_cond_t cv;
	bool stop;      /* the loop asks: remove the mapping and end */
	bool done;      /* the thread ended */
	bool abandoned; /* the loop stopped waiting: the thread must not wake it again */
	enum status status;
	char gateway[256], internal[80], error[256];
	uint64_t lease_in_force_s, renewals;
	bool ext_valid, ext_changed;
	struct hs_netaddr ext;
	struct logline log[HS_UPNP_LOG_LINES];
	size_t log_head, log_count;
	uint64_t log_dropped;
};

/* An abandoned thread still uses its struct after the daemon is gone: kept here, so that
 * memory is reachable (and not a leak report) until the process exits. */
static struct hs_upnp *left_behind;

/* ---- the thread ------------------------------------------------------------------------ */

static void wake_loop(struct hs_upnp *u)
{
	if (!u->abandoned)
		uv_async_send(&u->async);
}

static void say(struct hs_upnp *u, enum hs_log_level level, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void say(struct hs_upnp *u, enum hs_log_level level, const char *fmt, ...)
{
	uv_mutex_lock(&u->mu);
	if (u->log_count == HS_UPNP_LOG_LINES) {
		u->log_head = (u->log_head + 1) % HS_UPNP_LOG_LINES;
		u->log_count--;
		u->log_dropped++;
	}
	struct logline *l = &u->log[(u->log_head + u->log_count++) % HS_UPNP_LOG_LINES];
	l->level = level;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(l->text, sizeof(l->text), fmt, ap);
	va_end(ap);
	wake_loop(u);
	uv_mutex_unlock(&u->mu);
}

static void set_status(struct hs_upnp *u, enum status s, const char *error)
{
	uv_mutex_lock(&u->mu);
	u->status = s;
	snprintf(u->error, sizeof(u->error), "%s", error ? error : "");
	wake_loop(u);
	uv_mutex_unlock(&u->mu);
}

/* The external address to advertise, or none (ext NULL). */
static void set_external(struct hs_upnp *u, const struct hs_netaddr *ext)
{
	uv_mutex_lock(&u->mu);
	bool valid = ext != NULL;
	if (valid != u->ext_valid || (valid && !hs_netaddr_equal(ext, &u->ext))) {
		u->ext_valid = valid;
		if (valid)
			u->ext = *ext;
		u->ext_changed = true;
		wake_loop(u);
	}
	uv_mutex_unlock(&u->mu);
}

static bool stopping(struct hs_upnp *u)
{
	uv_mutex_lock(&u->mu);
	bool s = u->stop;
	uv_mutex_unlock(&u->mu);
	return s;
}

/* Sleeps seconds, or until asked to stop: true when asked. */
static bool wait_s(struct hs_upnp *u, uint64_t seconds)
{
	uint64_t deadline = uv_hrtime() + seconds * HS_NS_PER_S;
	uv_mutex_lock(&u->mu);
	while (!u->stop) {
		uint64_t now = uv_hrtime();
		if (now >= deadline)
			break;
		(void)uv_cond_timedwait(&u->cv, &u->mu, deadline - now);
	}
	bool s = u->stop;
	uv_mutex_unlock(&u->mu);
	return s;
}

/* Outside the ranges no one can reach from the Internet (RFC 6890): a gateway behind another
 * NAT reports one of these, and advertising it would send peers nowhere. */
static bool is_public_v4(const uint8_t ip[4])
{
	return !(ip[0] == 0 || ip[0] == 10 || ip[0] == 127 || ip[0] >= 224 ||
	         (ip[0] == 100 && (ip[1] & 0xc0) == 64) || (ip[0] == 169 && ip[1] == 254) ||
	         (ip[0] == 172 && (ip[1] & 0xf0) == 16) || (ip[0] == 192 && ip[1] == 168) ||
	         (ip[0] == 192 && ip[1] == 0 && (ip[2] == 0 || ip[2] == 2)) ||
	         (ip[0] == 198 && (ip[1] & 0xfe) == 18) ||
	         (ip[0] == 198 && ip[1] == 51 && ip[2] == 100) ||
	         (ip[0] == 203 && ip[1] == 0 && ip[2] == 113));
}

static const char *upnp_error(int rc)
{
	const char *s = strupnperror(rc);
	return s ? s : "unknown error";
}

/* URLs come from whatever answered the search: only printable ASCII reaches a log line. */
static void printable(char *s)
{
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			*s = '?';
}

static void forget_igd(struct hs_upnp *u)
{
	if (u->have_igd)
		FreeUPNPUrls(&u->urls);
	u->have_igd = false;
	memset(&u->urls, 0, sizeof(u->urls));
}

static bool find_igd(struct hs_upnp *u)
{
	char why[256];
	int error = 0;
	struct UPNPDev *devs =
	        upnpDiscover(HS_UPNP_DISCOVER_MS, NULL, NULL, UPNP_LOCAL_PORT_ANY, 0, 2, &error);
	if (!devs) {
		snprintf(why, sizeof(why), "no UPnP gateway answered the search%s",
		         error ? " (it could not be sent)" : "");
		goto fail;
	}
	char lan[64] = "";
	int igd = UPNP_GetValidIGD(devs, &u->urls, &u->data, lan, sizeof(lan));
	char first[128];
	snprintf(first, sizeof(first), "%.127s", devs->descURL ? devs->descURL : "?");
	printable(first);
	freeUPNPDevlist(devs);
	if (igd == 1) {
		u->have_igd = true;
		snprintf(u->lan, sizeof(u->lan), "%s", lan);
		uv_mutex_lock(&u->mu);
		snprintf(u->gateway, sizeof(u->gateway), "%s",
		         u->urls.rootdescURL ? u->urls.rootdescURL : first);
		printable(u->gateway);
		uv_mutex_unlock(&u->mu);
		say(u, HS_LOG_INFO, "upnp: found an Internet gateway at %s (our LAN address %s)",
		    u->gateway, lan);
		return true;
	}
	if (igd != 0)
		FreeUPNPUrls(&u->urls);
	memset(&u->urls, 0, sizeof(u->urls));
	if (igd == 2)
		snprintf(why, sizeof(why),
		         "the gateway at %s says it is not connected to the Internet", first);
	else if (igd == 3)
		snprintf(why, sizeof(why), "%s answered the search but is not an Internet gateway",
		         first);
	else
		snprintf(why, sizeof(why),
		         "no usable Internet gateway among the answers (the first, %s, sent a "
		         "description that could not be read)",
		         first);
fail:
	say(u, HS_LOG_WARN, "upnp: %s; next try in %d s", why, HS_UPNP_RETRY_S);
	set_status(u, FAILED, why);
	return false;
}

/* Maps (or renews) the listening port: true when the gateway accepted. */
static bool map_port(struct hs_upnp *u, bool renewing)
{
	const char *svc = u->data.first.servicetype;
	char ext[40] = "";
	char why[200];
	uint8_t ip[4] = { 0 };
	bool ext_ok =
	        UPNP_GetExternalIPAddress(u->urls.controlURL, svc, ext) == UPNPCOMMAND_SUCCESS &&
	        inet_pton(AF_INET, ext, ip) == 1;
	if (!ext_ok)
		snprintf(ext, sizeof(ext), "?");
	struct hs_netaddr e =
	        hs_netaddr_ipv4(ip[0], ip[1], ip[2], ip[3], (uint16_t)strtoul(u->port, NULL, 10));
	const char *internal = u->listen_ip[0] ? u->listen_ip : u->lan;
	char lease[24];
	snprintf(lease, sizeof(lease), "%llu", (unsigned long long)u->lease_s);
	int rc = UPNP_AddPortMapping(u->urls.controlURL, svc, u->port, u->port, internal, "hearsay",
	                             "TCP", NULL, lease);
	if (rc == 725 && u->lease_s != 0) {
		/* OnlyPermanentLeasesSupported (IGDv1 gateways): map without a lease. */
		say(u, HS_LOG_INFO,
		    "upnp: the gateway supports only permanent mappings; mapping without a lease "
		    "(renewed every %d s)",
		    HS_UPNP_REFRESH_S);
		u->lease_s = 0;
		rc = UPNP_AddPortMapping(u->urls.controlURL, svc, u->port, u->port, internal,
		                         "hearsay", "TCP", NULL, "0");
	}
	if (rc != UPNPCOMMAND_SUCCESS) {
		snprintf(why, sizeof(why), "the gateway refused to %s TCP port %s for %s: %s (%d)",
		         renewing ? "renew the mapping of" : "map", u->port, internal,
		         upnp_error(rc), rc);
		if (renewing)
			say(u, HS_LOG_WARN, "upnp: %s; searching for the gateway again", why);
		else
			say(u, HS_LOG_WARN, "upnp: %s; next try in %d s", why, HS_UPNP_RETRY_S);
		set_status(u, FAILED, why);
		return false;
	}
	u->mapped = true;
	char lease_text[40];
	if (u->lease_s)
		snprintf(lease_text, sizeof(lease_text), "lease %llu s",
		         (unsigned long long)u->lease_s);
	else
		snprintf(lease_text, sizeof(lease_text), "permanent");
	say(u, HS_LOG_INFO, "upnp: %s %s:%s -> %s:%s (TCP, %s)", renewing ? "renewed" : "mapped",
	    ext, u->port, internal, u->port, lease_text);
	uv_mutex_lock(&u->mu);
	snprintf(u->internal, sizeof(u->internal), "%s:%s", internal, u->port);
	u->lease_in_force_s = u->lease_s;
	u->renewals += renewing;
	uv_mutex_unlock(&u->mu);
	if (!ext_ok) {
		say(u, HS_LOG_WARN,
		    "upnp: the gateway did not tell its external address; "
		    "the mapping works but is not advertised");
		set_external(u, NULL);
	} else if (!is_public_v4(ip)) {
		say(u, HS_LOG_WARN,
		    "upnp: the gateway's external address %s is not public (another NAT beyond "
		    "it?); the mapping is not advertised",
		    ext);
		set_external(u, NULL);
	} else {
		set_external(u, &e);
	}
	set_status(u, MAPPED, NULL);
	return true;
}

static void unmap_port(struct hs_upnp *u)
{
	if (!u->mapped)
		return;
	int rc = UPNP_DeletePortMapping(u->urls.controlURL, u->data.first.servicetype, u->port,
	                                "TCP", NULL);
	u->mapped = false;
	if (rc == UPNPCOMMAND_SUCCESS)
		say(u, HS_LOG_INFO, "upnp: removed the mapping of TCP port %s", u->port);
	else
		say(u, HS_LOG_WARN, "upnp: could not remove the mapping of TCP port %s: %s (%d)%s",
		    u->port, upnp_error(rc), rc,
		    u->lease_s ? "; it expires with its lease"
		               : "; it stays until removed by hand");
}

static void thread_main(void *arg)
{
	struct hs_upnp *u = arg;
	while (!stopping(u)) {
		if (!u->have_igd && !find_igd(u)) {
			if (wait_s(u, HS_UPNP_RETRY_S))
				break;
			continue;
		}
		if (stopping(u))
			break;
		if (!map_port(u, false)) {
			forget_igd(u);
			if (wait_s(u, HS_UPNP_RETRY_S))
				break;
			continue;
		}
		/* Renew until asked to stop or the gateway stops answering. */
		bool stop = false;
		for (;;) {
			uint64_t every = u->lease_s ? u->lease_s / 2 : HS_UPNP_REFRESH_S;
			if ((stop = wait_s(u, every)))
				break;
			if (!map_port(u, true))
				break;
		}
		if (stop)
			break;
		/* Lost: the gateway may have restarted on another URL; search again now. */
		u->mapped = false;
		set_external(u, NULL);
		set_status(u, SEARCHING, NULL);
		forget_igd(u);
	}
	unmap_port(u);
	forget_igd(u);
	uv_mutex_lock(&u->mu);
	u->status = STOPPED;
	u->done = true;
	uv_cond_signal(&u->cv);
	wake_loop(u);
	uv_mutex_unlock(&u->mu);
}

/* ---- the loop -------------------------------------------------------------------------- */

/* Prints the thread's lines and takes in its news; on the loop thread. */
static void drain(struct hs_upnp *u, bool update_record)
{
	struct logline lines[HS_UPNP_LOG_LINES];
	size_t n = 0;
	uint64_t dropped;
	bool changed, valid;
	struct hs_netaddr ext;
	uv_mutex_lock(&u->mu);
	while (u->log_count) {
		lines[n++] = u->log[u->log_head];
		u->log_head = (u->log_head + 1) % HS_UPNP_LOG_LINES;
		u->log_count--;
	}
	dropped = u->log_dropped;
	u->log_dropped = 0;
	changed = u->ext_changed;
	u->ext_changed = false;
	valid = u->ext_valid;
	ext = u->ext;
	uv_mutex_unlock(&u->mu);
	if (dropped)
		hs_log(HS_LOG_WARN, "upnp: %llu log lines lost (the loop was busy)",
		       (unsigned long long)dropped);
	for (size_t i = 0; i < n; i++)
		hs_log(lines[i].level, "%s", lines[i].text);
	if (!changed || !update_record)
		return;
	/* The operator's externalip first, then the mapping; else the mapping first, then a
	 * specific listening address (what node_config() advertises without UPnP). */
	struct hs_netaddr addrs[3];
	size_t k = 0;
	bool operator_first = u->d->cfg.externalip_set;
	if (operator_first)
		for (size_t i = 0; i < u->nbase; i++)
			addrs[k++] = u->base[i];
	if (valid)
		addrs[k++] = ext;
	if (!operator_first)
		for (size_t i = 0; i < u->nbase; i++)
			if (!valid || !hs_netaddr_equal(&u->base[i], &ext))
				addrs[k++] = u->base[i];
	if (operator_first && valid && k == 2 && hs_netaddr_equal(&addrs[0], &addrs[1]))
		k = 1;
	char a[HS_NETADDR_STRLEN];
	hs_netaddr_format(&ext, a);
	if (hs_node_set_addrs(u->d->node, addrs, k, hs_daemon_now(u->d)) != 0) {
		hs_log(HS_LOG_WARN, "upnp: cannot put %s into our record", a);
		return;
	}
	if (valid)
		hs_log(HS_LOG_INFO, "upnp: our record now advertises %s", a);
	else if (u->advertised)
		hs_log(HS_LOG_INFO, "upnp: our record no longer advertises a mapped address");
	u->advertised = valid;
	hs_daemon_pump(u->d);
}

static void on_async(uv_async_t *a)
{
	drain(a->data, true);
}

static void on_closed(uv_handle_t *h)
{
	struct hs_upnp *u = h->data;
	if (u == left_behind)
		return;
	uv_cond_destroy(&u->cv);
	uv_mutex_destroy(&u->mu);
	free(u);
}

void hs_upnp_start(struct hs_daemon *d)
{
	const struct hs_config *c = &d->cfg;
	if (!c->listen_on) {
		hs_log(HS_LOG_WARN, "%s", "upnp: not listening (listen=0): nothing to map");
		return;
	}
	if (c->listen.family != HS_AF_INET) {
		hs_log(HS_LOG_WARN, "%s",
		       "upnp: the listening address is IPv6; UPnP maps IPv4 only");
		return;
	}
	struct hs_upnp *u = calloc(1, sizeof(*u));
	if (!u || uv_mutex_init(&u->mu) != 0) {
		free(u);
		hs_log(HS_LOG_ERROR, "%s", "upnp: out of memory");
		return;
	}
	if (uv_cond_init(&u->cv) != 0) {
		uv_mutex_destroy(&u->mu);
		free(u);
		hs_log(HS_LOG_ERROR, "%s", "upnp: cannot create a condition variable");
		return;
	}
	u->d = d;
	u->status = SEARCHING;
	u->lease_s = c->upnplease_s;
	snprintf(u->port, sizeof(u->port), "%u", c->listen.port);
	static const uint8_t any4[4];
	if (memcmp(c->listen.ip, any4, 4) != 0)
		inet_ntop(AF_INET, c->listen.ip, u->listen_ip, sizeof(u->listen_ip));
	if (c->externalip_set)
		u->base[u->nbase++] = c->externalip;
	else if (u->listen_ip[0])
		u->base[u->nbase++] = c->listen;
	uv_async_init(&d->loop, &u->async, on_async);
	u->async.data = u;
	if (uv_thread_create(&u->thread, thread_main, u) != 0) {
		hs_log(HS_LOG_ERROR, "%s", "upnp: cannot start its thread");
		uv_close((uv_handle_t *)&u->async, on_closed);
		return;
	}
	d->upnp = u;
	if (u->lease_s)
		hs_log(HS_LOG_INFO,
		       "upnp: looking for a gateway to map TCP port %s (lease %llu s, renewed at "
		       "half)",
		       u->port, (unsigned long long)u->lease_s);
	else
		hs_log(HS_LOG_INFO,
		       "upnp: looking for a gateway to map TCP port %s (permanent, mapped again "
		       "every %d s)",
		       u->port, HS_UPNP_REFRESH_S);
}

void hs_upnp_leave(struct hs_daemon *d)
{
	struct hs_upnp *u = d->upnp;
	if (!u)
		return;
	uv_mutex_lock(&u->mu);
	u->stop = true;
	uv_cond_signal(&u->cv);
	uv_mutex_unlock(&u->mu);
}

void hs_upnp_stop(struct hs_daemon *d)
{
	struct hs_upnp *u = d->upnp;
	if (!u)
		return;
	hs_upnp_leave(d);
	uint64_t deadline = uv_hrtime() + (uint64_t)HS_UPNP_STOP_MS * HS_NS_PER_MS;
	uv_mutex_lock(&u->mu);
	while (!u->done) {
		uint64_t now = uv_hrtime();
		if (now >= deadline)
			break;
		(void)uv_cond_timedwait(&u->cv, &u->mu, deadline - now);
	}
	bool done = u->done, mapped = u->status == MAPPED;
	uint64_t lease_s = u->lease_in_force_s;
	if (!done)
		u->abandoned = true;
	uv_mutex_unlock(&u->mu);
	/* The node is going: its record no longer matters. */
	drain(u, false);
	if (done) {
		uv_thread_join(&u->thread);
	} else {
		hs_log(HS_LOG_WARN,
		       "upnp: the gateway did not answer within %d ms; stopping without it%s",
		       HS_UPNP_STOP_MS,
		       mapped ? (lease_s ? " (the mapping expires with its lease)"
		                         : " (the permanent mapping stays on the gateway)")
		              : "");
		left_behind = u;
	}
	uv_close((uv_handle_t *)&u->async, on_closed);
	d->upnp = NULL;
}

json_t *hs_upnp_json(struct hs_daemon *d)
{
	struct hs_upnp *u = d->upnp;
	if (!u)
		return json_null();
	json_t *o = json_object();
	uv_mutex_lock(&u->mu);
	json_object_set_new(o, "status", json_string(status_names[u->status]));
	json_object_set_new(o, "gateway", u->gateway[0] ? json_string(u->gateway) : json_null());
	char a[HS_NETADDR_STRLEN];
	if (u->ext_valid)
		hs_netaddr_format(&u->ext, a);
	json_object_set_new(o, "external", u->ext_valid ? json_string(a) : json_null());
	bool mapped = u->status == MAPPED;
	json_object_set_new(o, "internal", mapped ? json_string(u->internal) : json_null());
	json_object_set_new(o, "lease", json_integer((json_int_t)u->lease_in_force_s));
	json_object_set_new(o, "renewals", json_integer((json_int_t)u->renewals));
	json_object_set_new(o, "error", u->error[0] ? json_string(u->error) : json_null());
	uv_mutex_unlock(&u->mu);
	return o;
}
