"""kill -9 during a publish load, 20 times: nothing persisted is lost, every restart opens
the store, the generation rises each time."""
import random
import threading
import time

from framework import check, run, wait_until
from rpcclient import Client

ROUNDS = 20


KEYS = 100


def load(node, acked, stop, counter):
    """Publishes and writes state as fast as the node answers, until it dies. acked maps each
    key to the (generation, version) of its last acknowledged write."""
    try:
        c = Client(node.datadir)
        while not stop.is_set():
            counter[0] += 1
            i = counter[0]
            c.call("publish", "load", "rumor %d" % i)
            e = c.call("setstate", "k%d" % (i % KEYS), "v%d" % i)
            acked[e["key"]] = (e["generation"], e["version"])  # the reply arrived
    except Exception:
        pass  # the node was killed


def lost_writes(c, my_id, acked):
    """Keys whose stored entry is older than the last acknowledged write."""
    lost = []
    for key, want in acked.items():
        st = c.call("getstate", my_id, key)
        if (st["generation"], st["version"]) < want:
            lost.append(key)
    return lost


def body(net):
    rng = random.Random(1234)
    a = net.add()
    peer = net.add()
    a.start()
    peer.args.append("-addnode=" + a.addr)
    peer.start()
    gen = None
    acked = {}
    counter = [0]
    bans = []
    my_id = None
    for r in range(ROUNDS):
        if r > 0:
            a.start()  # the store must open after every kill
        info = a.rpc("getnetworkinfo")
        if gen is not None and info["generation"] <= gen:
            check(False, "round %d: generation %d after %d" % (r, info["generation"], gen))
        gen = info["generation"]
        my_id = info["id"]
        c = Client(a.datadir)
        lost = lost_writes(c, my_id, acked)  # every acknowledged write is still there
        if lost:
            check(False, "round %d: acknowledged writes lost: %s" % (r, lost))
        have = {b.get("address") for b in c.call("listbanned")}
        if not set(bans) <= have:
            check(False, "round %d: bans lost: %s" % (r, set(bans) - have))
        ban = "127.201.%d.1" % r
        c.call("setban", ban, "add", "86400")
        bans.append(ban)
        c.close()
        stop = threading.Event()
        t = threading.Thread(target=load, args=(a, acked, stop, counter))
        t.start()
        time.sleep(rng.uniform(0.2, 0.8))
        a.kill9()
        stop.set()
        t.join()
    check(True, "%d kill -9 rounds: the store opened every time, the generation rose each" % ROUNDS)
    a.start()
    c = Client(a.datadir)
    lost = lost_writes(c, my_id, acked)
    check(not lost and counter[0] > 10 * ROUNDS,
          "all %d acknowledged writes (%d keys) survived the kills" % (counter[0], len(acked)))
    have = {b.get("address") for b in c.call("listbanned")}
    check(set(bans) <= have, "all %d bans survived" % len(bans))
    c.close()
    check(peer.proc.poll() is None, "the peer survived 20 partners dying mid-session")
    check(a.stop() == 0 and peer.stop() == 0, "both nodes stopped cleanly")


run("crash", body)
