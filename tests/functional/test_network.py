"""16 daemons bootstrap from two seeds; a rumor and a state entry reach every node."""
import time

from framework import check, run, wait_until

N = 16


def body(net):
    seeds = [net.add(["-seed=1"]), net.add(["-seed=1"])]
    seeds[0].args.append("-addnode=" + seeds[1].addr)
    seeds[1].args.append("-addnode=" + seeds[0].addr)
    for s in seeds:
        s.start()
    for _ in range(N - 2):
        net.add(["-seednode=" + seeds[0].addr, "-seednode=" + seeds[1].addr]).start(wait=False)
    for n in net.nodes:
        wait_until(lambda n=n: n.rpc("uptime") is not None, 20, "node %d up" % n.index)
    wait_until(lambda: all(len(n.peers()) >= 2 for n in net.nodes), 40,
               "every node to hold two sessions")
    check(True, "16 nodes formed an overlay (each with >= 2 sessions)")

    t0 = time.time()
    rid = net.nodes[7].rpc("publish", "news", "hello from node 7")["id"]

    def has_rumor(n):
        try:
            return n.rpc("getrumor", rid)["data"] == "hello from node 7"
        except Exception:
            return False
    wait_until(lambda: all(has_rumor(n) for n in net.nodes), 20, "the rumor everywhere")
    check(True, "the rumor reached all 16 nodes in %.0f ms" % ((time.time() - t0) * 1000))

    origin = net.nodes[11].id()
    entry = net.nodes[11].rpc("setstate", "height", "4242")
    check(entry["version"] >= 1 and entry["value"] == "4242", "setstate returns the signed entry")

    def has_state(n):
        try:
            return n.rpc("getstate", origin, "height")["value"] == "4242"
        except Exception:
            return False
    wait_until(lambda: all(has_state(n) for n in net.nodes), 20, "the state everywhere")
    check(True, "the state entry reached all 16 nodes")

    net.nodes[11].rpc("setstate", "height", "4243")
    wait_until(lambda: all(n.rpc("getstate", origin, "height")["value"] == "4243"
                           for n in net.nodes), 20, "the newer state everywhere")
    check(True, "a newer version replaced the older one everywhere")
    for n in net.nodes:
        check(n.stop() == 0, "node %d stopped cleanly (exit 0)" % n.index)


run("network", body)
