/*
 * What the node holds right now (gauges for metrics): the rumor store, replicated state and
 * the address book, the members table. Read-only views over the stores; O(address book) for the
 * tried count.
 */
#include "node_impl.h"

void hs_node_get_usage(const struct hs_node *node, struct hs_node_usage *usage)
{
	usage->rumors = hs_rumorstore_count(&node->store);
	usage->rumor_bytes = node->store.bytes;
	usage->state_entries = node->state.count;
	usage->state_bytes = node->state.bytes;
	usage->addresses = hs_addrbook_count(&node->book);
	usage->addresses_tried = 0;
	for (size_t i = 0; i < usage->addresses; i++)
		usage->addresses_tried += hs_addrbook_at(&node->book, i)->tried;
	hs_members_count(&node->members, usage->members);
}
