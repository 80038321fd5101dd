/*
 * hearsayd's validation: the per-topic signer policies of hearsay.conf (topicsigners) and the
 * external validators registered over RPC (docs/RPC.md "Validators"). This file is the core's
 * caps.validate.
 *
 * For each signature-checked rumor on a topic:
 *  1. a signer policy for the topic that does not list the rumor's origin: HS_IGNORE, counted
 *     (policy_dropped). Rationale: the policy is our own configuration, so neither the relay
 *     nor the origin (which may be a publisher by another node's policy) is charged;
 *  2. a registered validator for the topic: the rumor is sent to it as a "validate"
 *     notification and the core holds it (HS_PENDING) until the validator's "verdict" for its
 *     id, the deadline (validate_timeout_ms, the core's timer), or the validator's disconnect
 *     (every rumor it still holds gets validate_default at once);
 *  3. otherwise HS_ACCEPT.
 *
 * A validator's answer "reject" is HS_REJECT_ORIGIN: its rule is local, so the origin is
 * charged, never the relay. Bounds: HS_VALIDATORS_MAX validators, one per topic and one topic
 * per connection; HS_VALIDATE_HELD_PER_TOPIC_MAX rumors outstanding per validator, beyond
 * which a rumor gets validate_default at once (counted: overflows). Every refused registration
 * or verdict is an RPC error saying why; nothing is dropped uncounted.
 *
 * This file keeps its own list of the ids each validator holds, so that a validator can answer
 * only for rumors it was given; an entry leaves the list when answered, at its deadline (the
 * core applies the default then; ours is never earlier than the core's), or at disconnect.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_impl.h"

/* Ids a validator finished recently, so a late or second answer gets a precise error. */
#define RECENT_MAX 64

struct held_id {
	uint8_t id[HS_ID_LEN];
	uint64_t deadline_ns;
};

struct validator {
	struct rpc_client *c; /* NULL: a free place */
	char topic[HS_TOPIC_MAX + 1];
	struct held_id held[HS_VALIDATE_HELD_PER_TOPIC_MAX];
	size_t nheld;
	struct {
		uint8_t id[HS_ID_LEN];
		bool used;
		bool answered; /* else its deadline passed */
	} recent[RECENT_MAX];
	size_t recent_next;
	uint64_t sent, answered, timeouts;
};

struct hs_validators {
	struct validator v[HS_VALIDATORS_MAX];
	struct hs_validation_stats stats;
};

int hs_validators_new(struct hs_daemon *d)
{
	d->validators = calloc(1, sizeof(*d->validators));
	return d->validators ? 0 : HS_ERR_NOMEM;
}

void hs_validators_free(struct hs_daemon *d)
{
	free(d->validators);
	d->validators = NULL;
}

const struct hs_validation_stats *hs_validators_stats(const struct hs_daemon *d)
{
	return &d->validators->stats;
}

static const char *verdict_name(int v)
{
	return v == HS_ACCEPT ? "accept" : v == HS_REJECT_ORIGIN ? "reject" : "ignore";
}

static const struct hs_signer_policy *policy_for(const struct hs_daemon *d, const uint8_t *topic,
                                                 size_t topic_len)
{
	for (size_t i = 0; i < d->cfg.ntopicsigners; i++) {
		const struct hs_signer_policy *p = &d->cfg.topicsigners[i];
		if (strlen(p->topic) == topic_len && memcmp(p->topic, topic, topic_len) == 0)
			return p;
	}
	return NULL;
}

bool hs_validators_signer_ok(const struct hs_daemon *d, const uint8_t *topic, size_t topic_len,
                             const uint8_t origin[HS_KEY_LEN])
{
	const struct hs_signer_policy *p = policy_for(d, topic, topic_len);
	if (!p)
		return true;
	for (size_t i = 0; i < p->nkeys; i++)
		if (memcmp(p->keys[i], origin, HS_KEY_LEN) == 0)
			return true;
	return false;
}

static struct validator *by_topic(struct hs_daemon *d, const uint8_t *topic, size_t topic_len)
{
	for (size_t i = 0; i < HS_VALIDATORS_MAX; i++) {
		struct validator *v = &d->validators->v[i];
		if (v->c && strlen(v->topic) == topic_len &&
		    memcmp(v->topic, topic, topic_len) == 0)
			return v;
	}
	return NULL;
}

static struct validator *by_client(struct hs_daemon *d, const struct rpc_client *c)
{
	for (size_t i = 0; i < HS_VALIDATORS_MAX; i++)
		if (d->validators->v[i].c == c)
			return &d->validators->v[i];
	return NULL;
}

static void note_recent(struct validator *v, const uint8_t id[HS_ID_LEN], bool answered)
{
	memcpy(v->recent[v->recent_next].id, id, HS_ID_LEN);
	v->recent[v->recent_next].answered = answered;
	v->recent[v->recent_next].used = true;
	v->recent_next = (v->recent_next + 1) % RECENT_MAX;
}

static void drop_held(struct validator *v, size_t i)
{
	v->held[i] = v->held[--v->nheld];
}

/* Forgets held ids whose deadline has passed: the core gave them the default. */
static void purge(struct hs_daemon *d, struct validator *v, uint64_t now)
{
	for (size_t i = 0; i < v->nheld;) {
		if (v->held[i].deadline_ns > now) {
			i++;
			continue;
		}
		note_recent(v, v->held[i].id, false);
		v->timeouts++;
		d->validators->stats.timeouts++;
		drop_held(v, i);
	}
}

enum hs_verdict hs_validators_judge(struct hs_daemon *d, const struct hs_rumor *rm,
                                    const uint8_t id[HS_ID_LEN])
{
	struct hs_validation_stats *st = &d->validators->stats;
	if (!hs_validators_signer_ok(d, rm->topic, rm->topic_len, rm->origin)) {
		st->policy_dropped++;
		char origin[2 * HS_KEY_LEN + 1];
		hs_hex(origin, rm->origin, HS_KEY_LEN);
		hs_log(HS_LOG_DEBUG, "rumor on %.*s from %s dropped: not a listed signer",
		       (int)rm->topic_len, (const char *)rm->topic, origin);
		return HS_IGNORE;
	}
	/* An in-process validator (hs_host_set_validator) is asked first; an RPC validator on
	 * the same topic sees what it accepted at once. */
	enum hs_verdict mine = hs_host_validate(d, rm, id);
	if (mine != HS_ACCEPT)
		return mine;
	struct validator *v = by_topic(d, rm->topic, rm->topic_len);
	if (!v)
		return HS_ACCEPT;
	uint64_t now = hs_daemon_now(d);
	purge(d, v, now);
	if (v->c->closing) /* gone, its close not yet seen: as a disconnect */
		return (enum hs_verdict)d->cfg.validatedefault;
	if (v->nheld == HS_VALIDATE_HELD_PER_TOPIC_MAX) {
		st->overflows++;
		return (enum hs_verdict)d->cfg.validatedefault;
	}
	json_t *params = hs_rumor_json(rm, id); /* data_hex: the payload */
	if (!params) {
		st->overflows++;
		return (enum hs_verdict)d->cfg.validatedefault;
	}
	json_object_set_new(params, "deadline_ms",
	                    json_integer((json_int_t)d->cfg.validatetimeout_ms));
	struct held_id *h = &v->held[v->nheld++];
	memcpy(h->id, id, HS_ID_LEN);
	h->deadline_ns = now + d->cfg.validatetimeout_ms * HS_NS_PER_MS;
	v->sent++;
	st->sent++;
	hs_rpc_send(v->c, json_pack("{s:s, s:s, s:o}", "jsonrpc", "2.0", "method", "validate",
	                            "params", params));
	return HS_PENDING;
}

json_t *hs_validators_register(struct hs_daemon *d, struct rpc_client *c, const char *topic,
                               const char **message)
{
	struct hs_validation_stats *st = &d->validators->stats;
	if (by_client(d, c)) {
		st->registrations_refused++;
		*message = "this connection already validates a topic (one per connection)";
		return NULL;
	}
	if (by_topic(d, (const uint8_t *)topic, strlen(topic))) {
		st->registrations_refused++;
		*message = "the topic already has a validator";
		return NULL;
	}
	struct validator *v = by_client(d, NULL);
	if (!v) {
		st->registrations_refused++;
		*message = "too many validators (HS_VALIDATORS_MAX)";
		return NULL;
	}
	memset(v, 0, sizeof(*v));
	v->c = c;
	snprintf(v->topic, sizeof(v->topic), "%s", topic);
	hs_log(HS_LOG_INFO, "rpc: a validator registered for topic %s", topic);
	return json_pack("{s:s, s:I, s:s, s:i}", "validating", topic, "timeout_ms",
	                 (json_int_t)d->cfg.validatetimeout_ms, "default",
	                 verdict_name(d->cfg.validatedefault), "max_pending",
	                 (int)HS_VALIDATE_HELD_PER_TOPIC_MAX);
}

json_t *hs_validators_verdict(struct hs_daemon *d, struct rpc_client *c,
                              const uint8_t id[HS_ID_LEN], const char *verdict,
                              const char **message)
{
	struct hs_validation_stats *st = &d->validators->stats;
	int vd = strcmp(verdict, "accept") == 0   ? HS_ACCEPT
	         : strcmp(verdict, "reject") == 0 ? HS_REJECT_ORIGIN
	         : strcmp(verdict, "ignore") == 0 ? HS_IGNORE
	                                          : -1;
	if (vd < 0) {
		*message = "the verdict is accept, reject or ignore";
		return NULL;
	}
	struct validator *v = by_client(d, c);
	if (!v) {
		st->verdicts_refused++;
		*message = "this connection is not a validator (call validate TOPIC first)";
		return NULL;
	}
	uint64_t now = hs_daemon_now(d);
	purge(d, v, now);
	for (size_t i = 0; i < v->nheld; i++) {
		if (memcmp(v->held[i].id, id, HS_ID_LEN) != 0)
			continue;
		drop_held(v, i);
		note_recent(v, id, true);
		if (hs_node_verdict(d->node, id, (enum hs_verdict)vd, now) != 0) {
			/* The core's deadline came first (ours is never earlier). */
			v->timeouts++;
			st->timeouts++;
			st->verdicts_refused++;
			*message = "too late: the deadline passed and the default verdict applied";
			return NULL;
		}
		v->answered++;
		st->answered++;
		return json_pack("{s:s}", "verdict", verdict);
	}
	st->verdicts_refused++;
	*message = "unknown rumor id: never sent to this validator";
	for (size_t i = 0; i < RECENT_MAX; i++)
		if (v->recent[i].used && memcmp(v->recent[i].id, id, HS_ID_LEN) == 0)
			*message = v->recent[i].answered ? "this rumor was already answered"
			                                 : "too late: the deadline passed and the "
			                                   "default verdict applied";
	return NULL;
}

void hs_validators_client_gone(struct hs_daemon *d, struct rpc_client *c)
{
	if (!d->validators)
		return;
	struct validator *v = by_client(d, c);
	if (!v)
		return;
	hs_log(HS_LOG_INFO, "rpc: the validator for topic %s left; %zu held rumors get '%s'",
	       v->topic, v->nheld, verdict_name(d->cfg.validatedefault));
	bool live = !d->stopping && d->node;
	uint64_t now = hs_daemon_now(d);
	for (size_t i = 0; i < v->nheld; i++) {
		d->validators->stats.disconnect_defaults++;
		if (live)
			(void)!hs_node_verdict(d->node, v->held[i].id,
			                       (enum hs_verdict)d->cfg.validatedefault, now);
	}
	memset(v, 0, sizeof(*v));
	if (live)
		hs_daemon_pump(d);
}

json_t *hs_validators_json(const struct hs_daemon *d)
{
	const struct hs_validation_stats *st = &d->validators->stats;
	struct hs_node_stats ns;
	hs_node_get_stats(d->node, &ns);
	json_t *policies = json_array(), *validators = json_array();
	for (size_t i = 0; i < d->cfg.ntopicsigners; i++) {
		const struct hs_signer_policy *p = &d->cfg.topicsigners[i];
		json_t *keys = json_array();
		for (size_t k = 0; k < p->nkeys; k++) {
			char hex[2 * HS_KEY_LEN + 1];
			hs_hex(hex, p->keys[k], HS_KEY_LEN);
			json_array_append_new(keys, json_string(hex));
		}
		json_array_append_new(policies,
		                      json_pack("{s:s, s:o}", "topic", p->topic, "signers", keys));
	}
	for (size_t i = 0; i < HS_VALIDATORS_MAX; i++) {
		const struct validator *v = &d->validators->v[i];
		if (v->c)
			json_array_append_new(validators,
			                      json_pack("{s:s, s:I, s:I, s:I, s:I}", "topic",
			                                v->topic, "pending", (json_int_t)v->nheld,
			                                "sent", (json_int_t)v->sent, "answered",
			                                (json_int_t)v->answered, "timeouts",
			                                (json_int_t)v->timeouts));
	}
	return json_pack(
	        "{s:o, s:o, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
	        "s:I, s:I}",
	        "policies", policies, "validators", validators, "timeout_ms",
	        (json_int_t)d->cfg.validatetimeout_ms, "default",
	        verdict_name(d->cfg.validatedefault), "policy_dropped",
	        (json_int_t)st->policy_dropped, "overflows", (json_int_t)st->overflows,
	        "disconnect_defaults", (json_int_t)st->disconnect_defaults, "verdicts_refused",
	        (json_int_t)st->verdicts_refused, "registrations_refused",
	        (json_int_t)st->registrations_refused, "held", (json_int_t)hs_node_held(d->node),
	        "rejected", (json_int_t)ns.validate_rejected, "rejected_origin",
	        (json_int_t)ns.validate_rejected_origin, "ignored", (json_int_t)ns.validate_ignored,
	        "timeouts", (json_int_t)ns.validate_timeouts, "held_overflows",
	        (json_int_t)ns.validate_overflows, "held_total", (json_int_t)ns.validate_held);
}
