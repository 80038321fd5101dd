"""Eclipse by address poisoning: Sybils fill a victim's address book and inbound slots; after a
restart the victim must still reach honest nodes first.

Honest nodes h0..h3 each sit in their own /16 (127.10..13); h1..h3 keep a session to h0 and
none of them dials from its address book, so the victim learns them only from its seed, h0.
hearsay-mallory runs SYBILS identities from two /16s (127.200 and 127.201), each a real
listener with a real handshake: every Sybil keeps a session open to the victim (taking its
inbound slots) and answers the victim's getaddr with the signed
records of the other Sybils. Then the victim restarts RESTARTS times (same datadir) and after
each start the test records, through getpeerinfo, the outbound sessions in the order they came
up. Required (Bitcoin's addrman with new/tried tables and source-group buckets, and its
anchors, give this): after each restart at least half of the outbound sessions are to honest
nodes, and the first two outbound sessions (the anchors, the outbound peers of the last run)
are both honest. Every figure is printed before the verdict."""
import os
import signal
import subprocess
import time

from framework import BIN, check, fail, run, wait_until
from rpcclient import Client

HONEST = 4
SYBILS = int(os.environ.get("HS_ECLIPSE_SYBILS", "50"))
SYBIL_GROUPS = (200, 201)
# The victim's default session limit; no honest node dials it, so every inbound session it
# has is a Sybil's. (With more Sybils than maxconnections minus its outbound sessions, the
# shared limit also stops its outbound dials: HS_ECLIPSE_MAXCONN=32 shows that.)
VICTIM_MAXCONN = int(os.environ.get("HS_ECLIPSE_MAXCONN", "64"))
RESTARTS = 3
WINDOW_S = 6.0  # how long after a restart the outbound sessions are watched


def outbound(client):
    return [p for p in client.call("getpeerinfo") if p["active"] and not p["inbound"]]


def watch_restart(victim, honest_ids, sybil_ids):
    """Starts the victim and follows its outbound sessions for WINDOW_S seconds; returns
    (order of first appearance, final outbound sessions, inbound Sybil sessions at the end)."""
    victim.start(wait=False)
    start = time.time()
    client = None
    order, seen, polls = [], {}, 0
    while time.time() - start < WINDOW_S:
        try:
            if client is None:
                client = Client(victim.datadir)
            polls += 1
            for p in outbound(client):
                if p["id"] not in seen:
                    # Sessions first seen in the same poll are ordered by age (conntime_s).
                    seen[p["id"]] = (polls, -p["conntime_s"])
                    order.append(p["id"])
        except (OSError, RuntimeError, ValueError):
            client = None
        time.sleep(0.05)
    if client is None:
        fail("the victim never answered RPC after its restart")
    peers = [p for p in client.call("getpeerinfo") if p["active"]]
    client.close()
    order.sort(key=lambda i: seen[i])
    final = [p["id"] for p in peers if not p["inbound"]]
    inbound_sybils = sum(1 for p in peers if p["inbound"] and p["id"] in sybil_ids)
    return order, final, inbound_sybils


def kind(i, honest_ids, sybil_ids):
    return "honest" if i in honest_ids else "sybil" if i in sybil_ids else "unknown"


def body(net):
    signal.signal(signal.SIGALRM, lambda *_: fail("the test ran over 55 s"))
    signal.alarm(55)
    mallory = None
    try:
        honest = [net.add(["-outbound=0"]).start()]
        for _ in range(1, HONEST):
            honest.append(net.add(["-outbound=0", "-addnode=" + honest[0].addr]).start())
        wait_until(lambda: len(honest[0].peers()) == HONEST - 1, 20, "h1..h3 to reach h0")
        honest_ids = {h.id() for h in honest}
        victim = net.add(["-seednode=" + honest[0].addr,
                          "-peers_max=%d" % VICTIM_MAXCONN]).start()
        wait_until(lambda: sum(1 for p in victim.peers() if not p["inbound"]) >= HONEST, 20,
                   "the victim to dial every honest node")
        check(True, "the victim has %d honest outbound sessions before the attack" % HONEST)

        out_path = os.path.join(net.root, "mallory.out")
        with open(out_path, "wb") as out:
            mallory = subprocess.Popen(
                [os.path.join(BIN, "hearsay-mallory"), "eclipse", victim.addr,
                 "-network=" + net.network, "-port=%d" % net.port,
                 "-sybils=%d" % SYBILS, "-groups=%d,%d" % SYBIL_GROUPS, "-duration=120"],
                stdout=out, stderr=subprocess.STDOUT)

        def mallory_lines():
            with open(out_path) as f:
                return f.read().splitlines()

        wait_until(lambda: "ready" in mallory_lines(), 20, "the Sybils to listen")
        sybil_ids = {ln.split()[1] for ln in mallory_lines() if ln.startswith("sybil ")}
        check(len(sybil_ids) == SYBILS, "%d Sybils listen in 127.%d/16 and 127.%d/16" %
              ((SYBILS,) + SYBIL_GROUPS))

        def book():
            ids = [x["id"] for x in victim.rpc("getnodeaddresses", "0")]
            return (sum(1 for i in ids if i in honest_ids),
                    sum(1 for i in ids if i in sybil_ids))

        end = time.time() + 10
        while book()[1] < SYBILS and time.time() < end:
            time.sleep(0.2)
        h, s = book()
        print("measured: before the restarts the address book holds %d honest and %d Sybil "
              "records" % (h, s), flush=True)
        check(h == HONEST and s >= 5 * HONEST,
              "the book is poisoned: Sybil records outnumber honest ones %d to %d" % (s, h))
        end = time.time() + 3
        while sum(1 for p in victim.peers() if not p["inbound"]) < HONEST + 2 and \
                time.time() < end:
            time.sleep(0.2)
        peers = victim.peers()
        print("measured: before the restarts: %d outbound (%d honest), %d inbound Sybils" %
              (sum(1 for p in peers if not p["inbound"]),
               sum(1 for p in peers if not p["inbound"] and p["id"] in honest_ids),
               sum(1 for p in peers if p["inbound"] and p["id"] in sybil_ids)), flush=True)

        results = []
        for r in range(RESTARTS):
            check(victim.stop() == 0, "restart %d: the victim stopped cleanly" % (r + 1))
            order, final, inbound_sybils = watch_restart(victim, honest_ids, sybil_ids)
            n_honest = sum(1 for i in final if i in honest_ids)
            first2 = [kind(i, honest_ids, sybil_ids) for i in order[:2]]
            results.append((len(final), n_honest, first2, inbound_sybils))
            print("measured: restart %d: %d outbound sessions after %.0f s, %d honest, %d "
                  "Sybil; first two outbound sessions: %s; %d inbound Sybil sessions; "
                  "outbound order: %s" %
                  (r + 1, len(final), WINDOW_S, n_honest, len(final) - n_honest,
                   ", ".join(first2) or "none", inbound_sybils,
                   " ".join(kind(i, honest_ids, sybil_ids)[0] for i in order)), flush=True)
        mallory.send_signal(signal.SIGTERM)
        mallory.wait(timeout=10)
        print("measured: " + mallory_lines()[-1], flush=True)
        mallory = None

        for r, (n, n_honest, first2, _) in enumerate(results):
            check(n >= 2 and 2 * n_honest >= n,
                  "restart %d: at least half of the %d outbound sessions are honest (%d)" %
                  (r + 1, n, n_honest))
            check(first2 == ["honest", "honest"],
                  "restart %d: both anchors (the first two outbound sessions) are honest" %
                  (r + 1))
        check(victim.stop() == 0, "the victim stopped cleanly")
    finally:
        if mallory is not None and mallory.poll() is None:
            mallory.kill()
            mallory.wait()
        signal.alarm(0)


run("eclipse", body)
