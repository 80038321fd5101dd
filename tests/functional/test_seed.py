"""Seed mode: two crawling seeds bootstrap 14 nodes; reachability, export, getaddr rate limit.

16 daemons: two seeds (seed=1, a fast test crawl interval) and 14 nodes that know only the
seeds, by host name (seednode=seedN.hearsay.test:PORT; the names are this test's lines in
/etc/hosts, hostsfile.py, so it runs as root). The seeds crawl what they learn; getseedstats shows the nodes reachable, a
node killed shows as unreachable after its next crawl and leaves exportseeds' list and zone;
the statistics survive a seed's restart; a getaddr flood of fresh sessions from one /16 is
limited (getaddr_limited) while a session from another /16 is still answered.
"""
import os
import subprocess
import time

from framework import BIN, check, fail, run, wait_until
from hostsfile import HOSTS, add_lines, remove_ours, remove_stale

NODES = 14


def row_of(stats, node_id):
    for r in stats["top"]:
        if r["id"] == node_id:
            return r
    return None


def mallory(seed, group, count, wait_ms=700):
    out = subprocess.run(
        [os.path.join(BIN, "hearsay-mallory"), "getaddr-many", seed.addr, "-count=%d" % count,
         "-groups=%d" % group, "-network=" + seed.net.network, "-wait=%d" % wait_ms],
        capture_output=True, text=True, timeout=60)
    check(out.returncode == 0, "mallory getaddr-many from 127.%d ran (%s)"
          % (group, out.stdout.strip()))
    words = out.stdout.split()
    answered = int(words[words.index("answered") - 1])
    unanswered = int(words[words.index("unanswered,") - 1])
    return answered, unanswered


def body(net):
    if os.geteuid() != 0:
        fail("test_seed must run as root: it names the seeds in /etc/hosts")
    seed_args = ["-seed=1", "-crawl_interval_ms=100"]
    seeds = [net.add(seed_args), net.add(seed_args)]
    names = ["seed%d.hearsay.test" % i for i in range(len(seeds))]
    remove_stale(HOSTS)
    add_lines(HOSTS, ["%s %s" % (s.ip, n) for s, n in zip(seeds, names)])
    try:
        scenario(net, seeds, names)
    finally:
        remove_ours(HOSTS)


def scenario(net, seeds, names):
    for s in seeds:
        s.start()
    nodes = []
    for i in range(NODES):
        # Half list the other seed first: a node asks one seed at a time.
        first, second = names[i % 2], names[1 - i % 2]
        n = net.add(["-seednode=%s:%d" % (first, net.port), "-seednode=%s:%d" % (second, net.port),
                     "-outbound=4"])
        n.start(wait=False)
        nodes.append(n)
    for n in nodes:
        wait_until(lambda n=n: n.rpc("uptime") is not None, 20, "node %d up" % n.index)
    ids = {n.index: n.id() for n in nodes}

    def reachable(s, want):
        st = s.rpc("getseedstats", 40)
        ok = [i for i, nid in ids.items()
              if (row_of(st, nid) or {}).get("windows", {}).get("2h", {}).get("reachable")]
        return len(ok) >= want
    for s in seeds:
        wait_until(lambda s=s: reachable(s, NODES), 30, "seed %d to find every node reachable"
                   % s.index)
    st = seeds[0].rpc("getseedstats", 40)
    check(st["known"] >= NODES and st["reachable"]["2h"] >= NODES and
          st["reachable"]["1w"] >= NODES,
          "getseedstats: %d known, reachable 2h/8h/1d/1w %s, %d visits (%d ok)"
          % (st["known"], st["reachable"], st["visits"], st["visits_ok"]))
    r = row_of(st, ids[nodes[0].index])
    check(r["successes"] >= 1 and r["windows"]["1d"]["ratio"] > 0.5 and r["last_ok"],
          "a node's row has its window figures (ratio 1d %.2f, %d/%d visits)"
          % (r["windows"]["1d"]["ratio"], r["successes"], r["attempts"]))

    # The nodes learned of each other from the seeds alone.
    def knows_others(n):
        known = {a["id"] for a in n.rpc("getnodeaddresses", 0)}
        return len(known & set(ids.values())) >= 4
    wait_until(lambda: all(knows_others(n) for n in nodes), 30,
               "every node to know four other nodes' records")
    check(True, "every node learned other nodes' records through the seeds")
    wait_until(lambda: all(any(p["id"] in ids.values() for p in n.peers()) for n in nodes), 30,
               "every node to hold a session with another (non-seed) node")
    check(True, "every node holds a session with another node found via the seeds")

    listing = seeds[0].rpc("exportseeds", "list")
    check(all(n.addr in listing.split("\n") for n in nodes),
          "exportseeds list names every reachable node (%d lines)" % len(listing.split()))

    # A node killed shows as unreachable after its next crawl, and leaves the export.
    victim = nodes[5]
    vid = ids[victim.index]
    victim.kill9()
    t0 = time.time()

    def victim_down():
        row = row_of(seeds[0].rpc("getseedstats", 40), vid)
        return row is not None and not row["last_ok"] and \
            not row["windows"]["2h"]["reachable"]
    wait_until(victim_down, 20, "the killed node to show as unreachable")
    check(True, "the killed node shows as unreachable %.1f s after it died" % (time.time() - t0))
    listing = seeds[0].rpc("exportseeds", "list").split("\n")
    check(victim.addr not in listing and nodes[6].addr in listing,
          "exportseeds list leaves the killed node out and keeps the others")
    zone = seeds[0].rpc("exportseeds", "zone", "seed.test", net.port)
    lines = [z for z in zone.split("\n") if z]
    check(len(lines) >= NODES - 1 and all(z.startswith("seed.test. 60 IN A 127.") for z in lines)
          and not any(z.endswith(" " + victim.ip) for z in lines)
          and any(z.endswith(" " + nodes[6].ip) for z in lines),
          "exportseeds zone: %d A records for seed.test., none for the killed node" % len(lines))

    # The statistics survive a restart.
    before = row_of(seeds[0].rpc("getseedstats", 40), ids[nodes[1].index])["attempts"]
    check(seeds[0].stop() == 0, "seed 0 stopped cleanly")
    # Restarted with a crawl interval of ten minutes: no visit yet, so what it shows was stored.
    seeds[0].start(extra=["-crawl_interval_ms=600000"])
    st = seeds[0].rpc("getseedstats", 40)
    row = row_of(st, ids[nodes[1].index])
    check(st["visits"] == 0 and row is not None and row["attempts"] == before and
          row["windows"]["2h"]["reachable"] and st["reachable"]["2h"] >= NODES - 1,
          "after a restart, before any visit, the seed has every node's history back "
          "(%d reachable; a node's %d visits)" % (st["reachable"]["2h"], row["attempts"]))

    # A getaddr flood of fresh sessions from one /16 is limited; another /16 is served.
    answered, unanswered = mallory(seeds[0], 91, 24)
    st = seeds[0].rpc("getseedstats", 0)
    check(answered <= 16 and unanswered >= 8 and st["getaddr_limited"] >= 8,
          "a flood of 24 getaddr sessions from one /16: %d answered, %d refused, "
          "getaddr_limited %d" % (answered, unanswered, st["getaddr_limited"]))
    # Another /16 is served. The per-group counts live in a secret-keyed table, where a group
    # may share 127.91's slot (1 in 256): then the next group is tried.
    served = [mallory(seeds[0], g, 1)[0] for g in (92, 93)]
    check(served[0] == 1 or served[1] == 1,
          "a session from another /16 is still answered (127.92: %d, 127.93: %d)" % tuple(served))
    answered = max(served)
    check(st["answers"] >= answered, "answers served counted (%d)" % st["answers"])

    for n in net.nodes:
        if n is not victim:
            check(n.stop() == 0, "node %d stopped cleanly (exit 0)" % n.index)


run("seed", body)
