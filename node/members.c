/*
 * The daemon's side of membership (overlay/members.h, docs/RPC.md): members as JSON, the
 * getmembers method, the member counts of getnetworkinfo, and what the daemon does with each
 * HS_EV_MEMBER (one log line for a change of status, a notification to `subscribe members`
 * clients). Times leave as Unix seconds: the core's clock here is hs_daemon_now, the wall
 * clock at start plus monotonic time since.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_impl.h"

static const char *const status_names[] = {
	[HS_MEMBER_ALIVE] = "alive",
	[HS_MEMBER_SUSPECT] = "suspect",
	[HS_MEMBER_DEAD] = "dead",
	[HS_MEMBER_LEFT] = "left",
};

static const char *const change_names[] = {
	[HS_MEMBER_JOINED] = "join",       [HS_MEMBER_RECOVERED] = "alive",
	[HS_MEMBER_SUSPECTED] = "suspect", [HS_MEMBER_FAILED] = "dead",
	[HS_MEMBER_DEPARTED] = "leave",    [HS_MEMBER_UPDATED] = "update",
};

const char *hs_member_status_name(uint8_t status)
{
	return status >= HS_MEMBER_ALIVE && status <= HS_MEMBER_LEFT ? status_names[status]
	                                                             : "unknown";
}

const char *hs_member_change_name(uint8_t change)
{
	return change >= HS_MEMBER_JOINED && change <= HS_MEMBER_UPDATED ? change_names[change]
	                                                                 : "unknown";
}

/* A status by name (getmembers' filter); 0 for none. */
static uint8_t status_of(const char *name)
{
	for (uint8_t s = HS_MEMBER_ALIVE; s <= HS_MEMBER_LEFT; s++)
		if (strcmp(name, status_names[s]) == 0)
			return s;
	return 0;
}

json_t *hs_member_json(const struct hs_member *m, const struct hs_netaddr *addr)
{
	char id[2 * HS_KEY_LEN + 1], a[HS_NETADDR_STRLEN];
	hs_hex(id, m->id, HS_KEY_LEN);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(id));
	if (addr->family) {
		hs_netaddr_format(addr, a);
		json_object_set_new(o, "addr", json_string(a));
	} else {
		json_object_set_new(o, "addr", json_null());
	}
	json_object_set_new(o, "status", json_string(hs_member_status_name(m->status)));
	json_object_set_new(o, "generation", json_integer((json_int_t)m->generation));
	json_object_set_new(o, "heartbeat", json_integer((json_int_t)m->heartbeat));
	json_object_set_new(o, "interval_ms",
	                    json_integer((json_int_t)(m->interval_ns / HS_NS_PER_MS)));
	json_object_set_new(o, "first_seen",
	                    json_integer((json_int_t)(m->first_seen_ns / HS_NS_PER_S)));
	json_object_set_new(o, "last_seen",
	                    json_integer((json_int_t)(m->last_seen_ns / HS_NS_PER_S)));
	json_object_set_new(o, "status_since",
	                    json_integer((json_int_t)(m->status_ns / HS_NS_PER_S)));
	return o;
}

static int by_id(const void *a, const void *b)
{
	const struct hs_member_info *x = a, *y = b;
	return memcmp(x->m.id, y->m.id, HS_KEY_LEN);
}

struct hs_member_info *hs_members_sorted(struct hs_daemon *d, size_t *n)
{
	size_t want = hs_node_members(d->node, NULL, 0);
	struct hs_member_info *all = malloc((want ? want : 1) * sizeof(*all));
	if (!all)
		return NULL;
	*n = hs_node_members(d->node, all, want);
	if (*n > want)
		*n = want;
	qsort(all, *n, sizeof(*all), by_id);
	return all;
}

json_t *hs_members_rpc_get(struct hs_daemon *d, json_t *params, int *code, const char **message)
{
	const char *name = json_string_value(json_array_get(params, 0));
	uint8_t want = name ? status_of(name) : 0;
	if (json_array_size(params) > 1 || (json_array_size(params) == 1 && !want)) {
		*code = E_PARAMS;
		*message = "getmembers takes an optional STATUS: alive, suspect, dead or left";
		return NULL;
	}
	size_t n = 0;
	struct hs_member_info *all = hs_members_sorted(d, &n);
	if (!all) {
		*code = E_INTERNAL;
		*message = "out of memory";
		return NULL;
	}
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		if (!want || all[i].m.status == want)
			json_array_append_new(a, hs_member_json(&all[i].m, &all[i].addr));
	free(all);
	return a;
}

json_t *hs_members_counts_json(struct hs_daemon *d)
{
	struct hs_node_usage u;
	hs_node_get_usage(d->node, &u);
	return json_pack("{s:I, s:I, s:I, s:I, s:I}", "alive",
	                 (json_int_t)u.members[HS_MEMBER_ALIVE], "suspect",
	                 (json_int_t)u.members[HS_MEMBER_SUSPECT], "dead",
	                 (json_int_t)u.members[HS_MEMBER_DEAD], "left",
	                 (json_int_t)u.members[HS_MEMBER_LEFT], "total", (json_int_t)u.members[0]);
}

/* One info line per change of status (not for updates of a member's other entries). */
static void log_change(struct hs_daemon *d, const struct hs_event *ev)
{
	const struct hs_member *m = &ev->member;
	char id[9], a[HS_NETADDR_STRLEN] = "address unknown";
	hs_hex(id, m->id, 4);
	if (ev->addr.family)
		hs_netaddr_format(&ev->addr, a);
	uint64_t now = hs_daemon_now(d);
	double quiet_s = now > m->last_seen_ns ? (double)(now - m->last_seen_ns) / 1e9 : 0;
	unsigned long long gen = (unsigned long long)m->generation;
	switch (ev->change) {
	case HS_MEMBER_JOINED:
		hs_log(HS_LOG_INFO,
		       "member %s (%s) joined: generation %llu, heartbeat every %llu ms", id, a,
		       gen, (unsigned long long)(m->interval_ns / HS_NS_PER_MS));
		break;
	case HS_MEMBER_RECOVERED:
		hs_log(HS_LOG_INFO, "member %s (%s) is alive again: generation %llu", id, a, gen);
		break;
	case HS_MEMBER_SUSPECTED:
		hs_log(HS_LOG_INFO, "member %s (%s) is suspect: no heartbeat for %.1f s", id, a,
		       quiet_s);
		break;
	case HS_MEMBER_FAILED:
		hs_log(HS_LOG_INFO, "member %s (%s) is dead: no heartbeat for %.1f s", id, a,
		       quiet_s);
		break;
	case HS_MEMBER_DEPARTED:
		hs_log(HS_LOG_INFO, "member %s (%s) left: generation %llu", id, a, gen);
		break;
	default:
		break;
	}
}

void hs_members_on_event(struct hs_daemon *d, const struct hs_event *ev)
{
	log_change(d, ev);
	hs_rpc_notify_member(d, ev);
}
