"""Membership across 8 real daemons with a 1 s heartbeat (suspect after 3, dead after 6): every
daemon lists all 8 alive; a kill -9 makes every other list the victim dead within the bound
(dead_heartbeats x interval after its last heartbeat, plus slack for propagation and the
table's ageing); its restart makes it alive again everywhere with its new generation; a
`hearsay-cli leave` makes every other list the leaver left, and the leaver exit cleanly. A
`subscribe members` client on one daemon sees events that agree with getmembers throughout.
"""
import json
import threading
import time

from framework import check, fail, run, wait_until
from rpcclient import Client

N = 8
INTERVAL_S = 1
SUSPECT, DEAD = 3, 6
# The documented bound counts from the victim's last heartbeat, which left at most one interval
# before the kill: dead at most DEAD x INTERVAL after the kill, plus the table's ageing period
# (0.5 s) and propagation. The slack covers those and a loaded machine.
DEAD_BOUND_S = DEAD * INTERVAL_S
SLACK_S = 3.0
LEAVE_BOUND_S = 2.0
KILLED, LEAVER, WATCHED = 3, 5, 0


class Watcher(threading.Thread):
    """Collects the member notifications of one daemon, with the time each arrived."""

    def __init__(self, datadir):
        super().__init__(daemon=True)
        self.client = Client(datadir)
        self.ack = self.client.call("subscribe", "members")
        self.client.sock.settimeout(None)
        self.events = []
        self.lock = threading.Lock()

    def run(self):
        try:
            for msg in self.client.notifications():
                if msg["method"] == "member":
                    with self.lock:
                        self.events.append((time.time(), msg["params"]))
        except (OSError, ValueError, ConnectionError):
            pass  # closed at the end of the test

    def of(self, node_id):
        with self.lock:
            return [(t, p) for t, p in self.events if p["id"] == node_id]


def statuses(client):
    return {m["id"]: m for m in client.call("getmembers")}


def first_time_everywhere(clients, node_id, pred, t0, timeout, what):
    """Polls every client until pred(member) holds for node_id; returns {index: seconds
    since t0}."""
    seen = {}
    while len(seen) < len(clients):
        if time.time() - t0 > timeout:
            fail("timed out waiting for %s (seen at %s of %s)" %
                 (what, sorted(seen), sorted(clients)))
        for i, c in clients.items():
            if i in seen:
                continue
            m = statuses(c).get(node_id)
            if m is not None and pred(m):
                seen[i] = time.time() - t0
        time.sleep(0.05)
    return seen


def body(net):
    args = ["-heartbeat_interval_s=%d" % INTERVAL_S, "-suspect_heartbeats=%d" % SUSPECT,
            "-dead_heartbeats=%d" % DEAD]
    nodes = [net.add(args) for _ in range(N)]
    # A connected topology: a chain, plus a hub at node 0, so no single kill partitions it.
    for i, n in enumerate(nodes[1:], 1):
        n.args.append("-addnode=" + nodes[i - 1].addr)
        if i > 1:
            n.args.append("-addnode=" + nodes[0].addr)
    nodes[WATCHED].start()
    watcher = Watcher(nodes[WATCHED].datadir)
    check(watcher.ack == {"subscribed": "members"}, "subscribe members acknowledged")
    watcher.start()
    for n in nodes[1:]:
        n.start()
    ids = [n.id() for n in nodes]
    clients = {i: Client(n.datadir) for i, n in enumerate(nodes)}

    def all_alive(indices):
        for i in indices:
            st = statuses(clients[i])
            if len(st) != N or any(m["status"] != "alive" for m in st.values()):
                return False
        return True

    wait_until(lambda: all_alive(range(N)), 30, "every daemon to list %d members alive" % N)
    check(True, "every daemon lists all %d members alive" % N)
    m = statuses(clients[1])[ids[2]]
    check(m["addr"] == nodes[2].addr and m["interval_ms"] == INTERVAL_S * 1000 and
          m["generation"] == clients[2].call("getnetworkinfo")["generation"] and
          m["heartbeat"] >= 1 and m["first_seen"] <= m["last_seen"] <= time.time() + 1,
          "a member's fields: address, interval, generation, heartbeat, times")
    counts = clients[4].call("getnetworkinfo")["members"]
    check(counts == {"alive": N, "suspect": 0, "dead": 0, "left": 0, "total": N},
          "getnetworkinfo counts the members by status")
    table = nodes[1].rpc_raw("members")
    rows = table.stdout.strip().splitlines()
    check(table.returncode == 0 and rows[0].split() ==
          ["Node", "Address", "Status", "Generation", "Heartbeat"] and len(rows) == N + 1 and
          all(r.split()[2] == "alive" for r in rows[1:]) and
          any(r.startswith(ids[2][:8] + " ") and nodes[2].addr in r for r in rows[1:]),
          "hearsay-cli members prints the aligned table")
    as_json = json.loads(nodes[1].rpc_raw("members", "-format", "json").stdout)
    check(sorted(x["id"] for x in as_json) == sorted(ids),
          "hearsay-cli members -format json prints getmembers' array")
    bad = nodes[1].rpc_raw("getmembers", "gone")
    check(bad.returncode == 1 and "-32602" in bad.stderr and "alive, suspect, dead or left"
          in bad.stderr, "getmembers with an unknown STATUS is a params error naming them")

    # kill -9: every other daemon lists it dead within the bound, after suspecting it.
    victim = ids[KILLED]
    gen0 = clients[KILLED].call("getnetworkinfo")["generation"]
    clients.pop(KILLED).close()
    others = dict(clients)
    t_kill = time.time()
    nodes[KILLED].kill9()
    dead_at = first_time_everywhere(others, victim, lambda m: m["status"] == "dead", t_kill,
                                    DEAD_BOUND_S + SLACK_S + 20, "the killed node to be dead")
    worst = max(dead_at.values())
    print("dead after the kill, by daemon: %s; worst %.2f s (bound %d s + %.0f s slack)" %
          (", ".join("%d: %.2f s" % kv for kv in sorted(dead_at.items())), worst,
           DEAD_BOUND_S, SLACK_S), flush=True)
    check(worst <= DEAD_BOUND_S + SLACK_S,
          "every other daemon lists the killed node dead within %.1f s (worst %.2f s)" %
          (DEAD_BOUND_S + SLACK_S, worst))
    dead_rows = nodes[1].rpc_raw("members", "-status", "dead").stdout.strip().splitlines()
    check(len(dead_rows) == 2 and dead_rows[1].startswith(victim[:8]),
          "hearsay-cli members -status dead lists only the killed node")

    # Restart: alive again everywhere, with the generation it now reports.
    nodes[KILLED].start()
    clients[KILLED] = Client(nodes[KILLED].datadir)
    gen1 = clients[KILLED].call("getnetworkinfo")["generation"]
    check(gen1 > gen0, "the restart raised the generation (%d -> %d)" % (gen0, gen1))
    back = first_time_everywhere(others, victim,
                                 lambda m: m["status"] == "alive" and m["generation"] == gen1,
                                 time.time(), 30, "the restarted node to be alive again")
    print("alive again after the restart: worst %.2f s" % max(back.values()), flush=True)
    check(True, "every other daemon lists the restarted node alive with generation %d" % gen1)

    # leave: every other daemon lists it left (not dead), and it exits cleanly.
    leaver = ids[LEAVER]
    clients.pop(LEAVER).close()
    others = dict(clients)
    t_leave = time.time()
    r = nodes[LEAVER].rpc_raw("leave")
    check(r.returncode == 0 and json.loads(r.stdout).startswith("hearsay stopping"),
          "hearsay-cli leave answers as stop does (%s)" % r.stdout.strip())
    left_at = first_time_everywhere(others, leaver, lambda m: m["status"] == "left", t_leave,
                                    20, "the leaver to be left everywhere")
    worst = max(left_at.values())
    print("left after the leave, by daemon: worst %.2f s (bound %.0f s + %.0f s slack)" %
          (worst, LEAVE_BOUND_S, SLACK_S), flush=True)
    check(worst <= LEAVE_BOUND_S + SLACK_S,
          "every other daemon lists the leaver left within %.1f s (worst %.2f s)" %
          (LEAVE_BOUND_S + SLACK_S, worst))
    try:
        rc = nodes[LEAVER].proc.wait(timeout=15)
    except Exception:
        rc = None
    check(rc == 0, "the leaver exited cleanly (status %s)" % rc)
    nodes[LEAVER].proc = None
    check("member %s (%s) left" % (leaver[:8], nodes[LEAVER].addr) in
          nodes[WATCHED].logtext(), "the watched daemon logged the leave")
    check("member %s (%s) is dead" % (victim[:8], nodes[KILLED].addr) in
          nodes[WATCHED].logtext(), "the watched daemon logged the death")

    # The subscriber's events agree with getmembers.
    # Suspect before dead, then alive: the order, not the timing, is the behaviour.
    changes = [p["change"] for _, p in watcher.of(victim)]
    check("dead" in changes and "alive" in changes[changes.index("dead"):] and
          "suspect" in changes[:changes.index("dead")],
          "the subscriber saw the killed node suspect, dead, then alive (%s)" % changes)
    after = [p for _, p in watcher.of(victim) if p["change"] == "alive"][-1]
    check(after["generation"] == gen1 and after["status"] == "alive",
          "its alive event carries the new generation")
    changes = [p["change"] for _, p in watcher.of(leaver)]
    check(changes and changes[-1] == "leave", "the subscriber saw the leaver leave (%s)" %
          changes)
    final = statuses(clients[WATCHED])
    for i, node_id in enumerate(ids):
        if i == WATCHED:
            continue
        evs = watcher.of(node_id)
        if not evs or evs[0][1]["change"] != "join":
            fail("no join event first for node %d: %s" % (i, [p["change"] for _, p in evs]))
        if evs[-1][1]["status"] != final[node_id]["status"]:
            fail("node %d: last event says %s, getmembers %s" %
                 (i, evs[-1][1]["status"], final[node_id]["status"]))
    check(True, "each member's first event is its join and its last agrees with getmembers")
    for c in clients.values():
        c.close()
    watcher.client.close()
    for i, n in enumerate(nodes):
        if n.proc is not None:
            check(n.stop() == 0, "node %d stopped cleanly" % i)


run("members", body)
