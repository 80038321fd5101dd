"""A ban-table flood cannot flush the bans that matter.

The victim keeps an honest peer. The operator bans an address (setban) and one identity from
another /16 earns a 24 h misbehaviour ban (a rumor with a forged signature). Then
hearsay-mallory floods the victim with 3,000 fresh identities from one /16 (127.90/16), each
from its own address, each with a real handshake and then a rumor with a forged signature:
the eighth address ban bans the group, and every identity after it is refused before its
handshake. Then the same attack comes from every other free /16 of 127/8 (8 identities in
each of 250 groups, 2,000 in all), which is what fills the table: 4,096 bans at most, so the
full table merges address bans into group bans (compaction) and must never give way with the
operator's ban or the earlier one.

Required: the operator ban and the earlier misbehaviour ban (identity and address) are still
listed and still refuse connections, after the flood and after a restart; the 127.90/16 flood
is one group ban; the table never exceeds its bound and lost no ban to eviction
(hearsay_bans_evicted_total stays 0: every place was made by merging); a flood identity
banned late in the table is reported banned by getscore; the honest peer stays connected,
unbanned, and its rumors still arrive. Every figure is printed before the verdict. The
victim runs with the default limits (maxconnections 64): the flood is one identity at a time,
so the limit that matters is the ban table's own."""
import collections
import os
import re
import signal
import subprocess
import urllib.request

from framework import BIN, check, fail, run, wait_until

OPERATOR_ADDR = "127.66.0.9"
EARLIER_ADDR = "127.77.0.1"
FLOOD = 3000
FLOOD_GROUP = 90
# Every /16 of 127/8 but the nodes' (127.10, 127.11) and the three above: 250 groups.
SPREAD_GROUPS = "0-9,12-65,67-76,78-89,91-254"
SPREAD_NGROUPS = 250
ESCALATE = 8  # HS_GROUP_BANS_ESCALATE
BANS_MAX = 4096  # the node's ban table (hs_node_config.bans_max)


def mallory(net, *args, timeout=40):
    r = subprocess.run([os.path.join(BIN, "hearsay-mallory")] + list(args) +
                       ["-network=" + net.network], capture_output=True, text=True,
                       timeout=timeout)
    return r


def refused(net, victim, src):
    """True if a valid session from src is closed or refused at once."""
    r = mallory(net, "good", victim.addr, "-bind=" + src, "-wait=500")
    return r.returncode != 0 and "still connected" not in r.stdout


def tally(bans):
    c = collections.Counter()
    for b in bans:
        kind = "id" if "id" in b else "group" if "network" in b else "address"
        c[kind + "/" + b["reason"]] += 1
    return c


def metric(addr, name):
    text = urllib.request.urlopen("http://%s/metrics" % addr, timeout=10).read().decode()
    m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
    return float(m.group(1)) if m else None


def key_bans(bans, earlier_id):
    """(operator ban, earlier address ban, earlier identity ban, 127.90/16 group ban)."""
    def find(pred):
        return next((b for b in bans if pred(b)), None)
    return (find(lambda b: b.get("address") == OPERATOR_ADDR and b["reason"] == "operator"),
            find(lambda b: b.get("address") == EARLIER_ADDR and b["reason"] == "misbehaving"),
            find(lambda b: b.get("id") == earlier_id),
            find(lambda b: b.get("network") == "127.%d.0.0/16" % FLOOD_GROUP))


def body(net):
    signal.signal(signal.SIGALRM, lambda *_: fail("the test ran over 55 s"))
    signal.alarm(55)
    try:
        metrics = "127.10.0.1:%d" % (net.port + 1)
        victim = net.add(["-metrics=" + metrics]).start()
        honest = net.add(["-addnode=" + victim.addr]).start()
        wait_until(lambda: len(victim.peers()) == 1, 20, "the honest peer to connect")
        honest_id = honest.id()

        victim.rpc("setban", OPERATOR_ADDR, "add")
        r = mallory(net, "badsig-rumor", victim.addr, "-bind=" + EARLIER_ADDR)
        check(r.returncode == 0, "the earlier misbehaving peer was disconnected")
        earlier_id = r.stdout.split()[1].rstrip(":")
        bans = victim.rpc("listbanned")
        op, ea, ei, _ = key_bans(bans, earlier_id)
        print("measured: before the flood: %d bans %s" % (len(bans), dict(tally(bans))),
              flush=True)
        check(op and ea and ei, "before the flood: the operator ban on %s and the earlier "
              "misbehaviour ban (%s and its identity) are listed" % (OPERATOR_ADDR, EARLIER_ADDR))
        check(ei["banned_until"] - ei["ban_created"] == 86400, "the earlier ban lasts 24 h")

        # 3,000 identities from one /16.
        r = mallory(net, "badsig-many", victim.addr, "-count=%d" % FLOOD,
                    "-groups=%d" % FLOOD_GROUP)
        out = r.stdout.strip().splitlines()
        print("measured: " + "; ".join(out), flush=True)
        m = re.search(r"(\d+) banned .* (\d+) refused .* (\d+) kept", out[-1])
        if r.returncode != 0 or not m:
            fail("the one-/16 flood did not run to the end: %s %s" % (out, r.stderr))
        nb, nr, nk = (int(x) for x in m.groups())
        bans = victim.rpc("listbanned")
        c = tally(bans)
        print("measured: after %d identities from 127.%d/16: %d bans %s" %
              (FLOOD, FLOOD_GROUP, len(bans), dict(c)), flush=True)
        check(nk == 0 and nb + nr == FLOOD, "every flood identity was banned (%d) or refused "
              "before its handshake (%d); none kept its session" % (nb, nr))
        check(nb == ESCALATE, "the group was banned at its %d-th address ban" % ESCALATE)
        check(key_bans(bans, earlier_id)[3] is not None and c["group/misbehaving"] == 1,
              "the flood is one group ban, 127.%d.0.0/16" % FLOOD_GROUP)
        check(len(bans) <= 3 + 2 * ESCALATE + 1,
              "the table holds %d bans, not one per flood identity" % len(bans))

        # The same from 250 more /16s: this fills the table.
        r = mallory(net, "badsig-many", victim.addr, "-count=%d" % (ESCALATE * SPREAD_NGROUPS),
                    "-groups=" + SPREAD_GROUPS)
        out = r.stdout.strip().splitlines()
        print("measured: " + "; ".join(out), flush=True)
        m = re.search(r"last banned ([0-9a-f]{64}) from", r.stdout)
        # Checks over the verification budget are dropped unjudged; mallory resends.
        refused_checks = [metric(metrics, 'hearsay_signature_checks_refused_total{share="%s"}'
                                 % share) for share in ("peer", "group")]
        if r.returncode != 0 or not m:
            fail("the spread flood did not run to the end: %s %s; checks refused over the "
                 "budget (peer/group share) %s" % (out, r.stderr, refused_checks))
        late_id = m.group(1)
        bans = victim.rpc("listbanned")
        c = tally(bans)
        compacted = metric(metrics, "hearsay_bans_compacted_total")
        evicted = metric(metrics, "hearsay_bans_evicted_total")
        print("measured: after %d more identities from %d /16s: %d bans (at most %d) %s; "
              "compactions %s, bans evicted %s; signature checks refused over the budget "
              "(peer/group share) %s" %
              (ESCALATE * SPREAD_NGROUPS, SPREAD_NGROUPS, len(bans), BANS_MAX, dict(c),
               compacted, evicted, refused_checks), flush=True)
        check(len(bans) <= BANS_MAX, "the table stays within its %d bans" % BANS_MAX)
        check(compacted and compacted > 0, "the full table merged address bans into group "
              "bans (%d times)" % (compacted or 0))
        check(evicted == 0, "no ban gave way: every place came from merging")
        op, ea, ei, grp = key_bans(bans, earlier_id)
        check(op is not None, "after the flood the operator ban on %s is listed" % OPERATOR_ADDR)
        check(ea is not None and ei is not None,
              "after the flood the earlier misbehaviour ban (address and identity) is listed")
        check(grp is not None, "the 127.%d/16 group ban is listed" % FLOOD_GROUP)
        check(victim.rpc("getscore", earlier_id)["banned"],
              "getscore: the earlier identity is banned")
        check(victim.rpc("getscore", late_id)["banned"],
              "getscore: the last flood identity, late in a full table, is banned")
        check(refused(net, victim, OPERATOR_ADDR), "a session from %s is refused" % OPERATOR_ADDR)
        check(refused(net, victim, EARLIER_ADDR), "a session from %s is refused" % EARLIER_ADDR)
        check(refused(net, victim, "127.%d.250.250" % FLOOD_GROUP),
              "a session from a fresh address in 127.%d/16 is refused" % FLOOD_GROUP)

        # The honest peer.
        peers = victim.peers()
        check(any(p["id"] == honest_id for p in peers),
              "the honest peer is still connected (%d sessions)" % len(peers))
        check(not any(b.get("id") == honest_id or b.get("address") == honest.ip or
                      b.get("network") == "127.11.0.0/16" for b in bans),
              "the honest peer, its address and its group are not banned")
        check(victim.rpc("getscore", honest_id)["standing"] == "good",
              "the honest peer's standing is good")
        rid = honest.rpc("publish", "news", "after the flood")["id"]
        wait_until(lambda: victim.rpc("getrumor", rid)["data"] == "after the flood", 10,
                   "the honest peer's rumor after the flood")
        check(True, "the honest peer's rumor reached the victim after the flood")

        # The bans are in the store: a restart keeps them.
        check(victim.stop() == 0, "the victim stopped cleanly")
        victim.start()
        after = victim.rpc("listbanned")
        print("measured: after a restart: %d bans %s" % (len(after), dict(tally(after))),
              flush=True)
        check(all(x is not None for x in key_bans(after, earlier_id)),
              "after a restart the operator ban, the earlier ban and the group ban are listed")
        check(len(after) == len(bans), "after a restart the table holds the same %d bans" %
              len(bans))
        wait_until(lambda: any(p["id"] == honest_id for p in victim.peers()), 20,
                   "the honest peer to reconnect")
        check(True, "the honest peer reconnected after the restart")
        check(victim.stop() == 0 and honest.stop() == 0, "both nodes stopped cleanly")
    finally:
        signal.alarm(0)


run("banflood", body)
