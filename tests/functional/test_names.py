"""Peers and seeds found by host name, DNS seeds, and the log lines an operator needs.

Host names come from /etc/hosts (this test adds its lines, marked, and removes exactly those
in a finally block; it must run as root and fails, never skips, otherwise), with
`multi on` in /etc/host.conf so a name on several lines resolves to all of them:

- a node started with -seednode=seed1.hearsay.test:PORT reaches the seed behind the name; one
  with -addnode=peer1.hearsay.test:PORT keeps a session with its peer; the addnode RPC takes a
  name too (add, remove, a bad name refused with its reason);
- a name that does not resolve, and one that resolves only to 0.0.0.0, are logged with their
  backoff and looked up again while the node keeps running;
- -dnsseed=multi.hearsay.test:PORT, a name on three lines (two addresses nobody listens on,
  and a node), gives three seed candidates, and every one is dialled;
- at the default log level: a new identity with its id, the no-seeds warning, a dial failure
  once per address (its retries only at debug level), one line per ended session with its
  reason (a peer on another network names that network), bans and unbans with their reason,
  and ids that RPC accepts.
"""
import os
import re
import time

from framework import check, fail, run, wait_until
from hostsfile import HOST_CONF, HOSTS, MARK, add_lines, remove_ours, remove_stale

def lines_with(node, *words, level=None):
    return [l for l in node.logtext().splitlines()
            if all(w in l for w in words) and (level is None or (" %s " % level) in l)]


def session_ends_once(node, what):
    """No session's end is logged twice: for each peer id and address, no more 'ended' lines
    than 'up' lines; and no separate 'down' or 'closing' lines at the default level."""
    ups, ends = {}, {}
    for l in node.logtext().splitlines():
        m = re.search(r"session with ([0-9a-f]{64} at \S+) \((in|out)[,)]", l)
        if m:
            d = ends if " ended" in l else ups if l.endswith(" up") else None
            if d is not None:
                d[m.group(1)] = d.get(m.group(1), 0) + 1
    check(all(ends[k] <= ups.get(k, 0) for k in ends),
          "%s: each session's end is logged once (%d ends, %d sessions)" %
          (what, sum(ends.values()), sum(ups.values())))
    check(not lines_with(node, " down") and not lines_with(node, "closing ", level="INFO"),
          "%s: no separate 'down' or 'closing' lines at the default level" % what)


def body(net):
    if os.geteuid() != 0:
        fail("test_names must run as root: it maps test host names in /etc/hosts")
    p = net.port
    seed = net.add(["-seed=1", "-loglevel=info"])
    peer = net.add(["-loglevel=info"])
    dns_target = net.add(["-loglevel=info"])
    dead = ["127.250.0.1", "127.250.0.2"]
    remove_stale(HOSTS)
    remove_stale(HOST_CONF)
    try:
        add_lines(HOSTS, ["%s seed1.hearsay.test" % seed.ip, "%s peer1.hearsay.test" % peer.ip,
                          "0.0.0.0 void.hearsay.test"] +
                  ["%s multi.hearsay.test" % ip for ip in dead + [dns_target.ip]])
        with open(HOST_CONF) as f:
            has_multi = any(l.split()[:2] == ["multi", "on"] for l in f)
        if not has_multi:
            add_lines(HOST_CONF, ["multi on"])
        scenario(net, p, seed, peer, dns_target, dead)
    finally:
        remove_ours(HOSTS)
        remove_ours(HOST_CONF)
    with open(HOSTS) as f:
        check(MARK not in f.read(), "/etc/hosts is restored (this test's lines removed)")


def scenario(net, p, seed, peer, dns_target, dead):
    for n in (seed, peer):
        n.start()
    # The DNS seed's node knows one other node, so it answers getaddr and the seed session
    # ends; then the node wants more peers and dials its other seed candidates.
    dns_target.args.append("-addnode=" + peer.addr)
    dns_target.start()
    seed_id, peer_id, target_id = seed.id(), peer.id(), dns_target.id()
    wait_until(lambda: any(q["id"] == peer_id for q in dns_target.peers()), 20,
               "the DNS seed's node to know a peer")

    # The new identity, in a form RPC accepts, and the no-seeds warning.
    created = lines_with(seed, "INFO", "created a new identity")
    check(len(created) == 1 and seed_id in created[0],
          "the first start logs 'created a new identity' with the full id")
    check(len(lines_with(seed, "WARN", "no seeds or peers configured")) == 1,
          "a node with no seeds or peers warns once at start")

    by_seed = net.add(["-seednode=seed1.hearsay.test:%d" % p, "-loglevel=info"]).start()
    by_add = net.add(["-addnode=peer1.hearsay.test:%d" % p, "-loglevel=info"]).start()
    # debug level here, to see the retries the default level leaves out
    broken = net.add(["-seednode=nosuch.hearsay.test:%d" % p,
                      "-seednode=void.hearsay.test:%d" % p,
                      "-addnode=127.251.0.1:%d" % p, "-loglevel=debug"]).start()
    by_dns = net.add(["-dnsseed=multi.hearsay.test:%d" % p, "-loglevel=info"]).start()
    other = net.add(["-network=othernet", "-addnode=" + seed.addr, "-loglevel=info"]).start()

    def has_peer(node, pid):
        return any(q["id"] == pid for q in node.peers())

    wait_until(lambda: has_peer(by_seed, seed_id), 20, "the seednode-by-name session")
    check(lines_with(by_seed, "INFO", "seednode seed1.hearsay.test resolves to " + seed.addr),
          "-seednode=seed1.hearsay.test:PORT reaches the seed behind the name")

    wait_until(lambda: has_peer(by_add, peer_id), 20, "the addnode-by-name session")
    check(lines_with(by_add, "addnode peer1.hearsay.test resolves to " + peer.addr),
          "-addnode=peer1.hearsay.test:PORT connects to the peer behind the name")

    wait_until(lambda: has_peer(by_dns, target_id), 20, "a session from the DNS seed's answer")
    got = lines_with(by_dns, "dnsseed multi.hearsay.test: 3 usable addresses, 3 taken")
    check(len(got) == 1, "dnsseed: all three A answers become seed candidates")
    for ip in dead:
        wait_until(lambda ip=ip: lines_with(by_dns, "cannot connect to multi.hearsay.test (%s:%d)" % (ip, p)), 20,
                   "the dial of candidate %s" % ip)
    check(True, "dnsseed: the candidates nobody listens on are dialled too")

    # Names that give nothing: logged once per backoff step, the node unharmed.
    wait_until(lambda: len(lines_with(broken, "WARN", "cannot resolve nosuch.hearsay.test")) >= 2,
               20, "two failed lookups of nosuch.hearsay.test")
    fails = lines_with(broken, "WARN", "cannot resolve nosuch.hearsay.test (seednode)")
    check("trying again in 2 s" in fails[0] and "trying again in 4 s" in fails[1],
          "an unknown name is logged per backoff step (2 s, then 4 s) and retried")
    check(lines_with(broken, "WARN", "cannot resolve void.hearsay.test", "no usable address"),
          "a name that resolves only to 0.0.0.0 is logged as having no usable address")
    wait_until(lambda: len(lines_with(broken, "DEBUG", "cannot connect to 127.251.0.1")) >= 2,
               20, "two retries of the dead addnode")
    first = lines_with(broken, "INFO", "cannot connect to 127.251.0.1:%d" % p)
    check(len(first) == 1 and "next try in 2 s" in first[0] and "doubles" in first[0],
          "a failing dial is logged once at the default level, with its backoff "
          "(%d retries at debug level)" %
          len(lines_with(broken, "DEBUG", "cannot connect to 127.251.0.1")))
    check(broken.rpc("uptime") is not None and broken.proc.poll() is None,
          "the node with unresolvable names keeps running")
    for ip in dead:
        check(len(lines_with(by_dns, "cannot connect to multi.hearsay.test (%s:%d)" % (ip, p))) == 1,
              "default level: the dead candidate %s is logged once, not per retry" % ip)

    # A peer on another network: the seed says which, once per session.
    wait_until(lambda: lines_with(seed, "peer is on network 'othernet', we are on 'ftest'"), 20,
               "the other network's session to end")
    line = lines_with(seed, "peer is on network 'othernet'")[0]
    check("INFO" in line and "ended before its handshake" in line,
          "a peer on another network: the session end names its network")

    # The addnode RPC with names.
    check(peer.rpc("addnode", "seed1.hearsay.test:%d" % p, "add") is None,
          "addnode RPC: a host name is accepted")
    wait_until(lambda: has_peer(seed, peer_id), 20, "the RPC-added name to connect")
    check(True, "addnode RPC: the peer connects to the node behind the name")
    try:
        peer.rpc("addnode", "seed1.hearsay.test:%d" % p, "add")
        fail("a second addnode of one name is refused")
    except Exception as e:
        check("already added" in str(e), "addnode RPC: a name added twice is refused")
    try:
        peer.rpc("addnode", "bad..name:1", "add")
        fail("a malformed name is refused")
    except Exception as e:
        check("empty label" in str(e), "addnode RPC: a malformed name is refused with its reason")
    check(peer.rpc("addnode", "seed1.hearsay.test:%d" % p, "remove") is None,
          "addnode RPC: a name is removed")

    # Bans and unbans, with targets and reasons; ids from the log work in RPC.
    seed.rpc("setban", "127.99.0.1", "add", 60)
    seed.rpc("setban", by_seed.id(), "add", 60)
    seed.rpc("setban", "127.99.0.1", "remove")
    check(lines_with(seed, "WARN", "banned address 127.99.0.1 for 60 s (by the operator)"),
          "a ban is logged with its target, time and reason")
    check(lines_with(seed, "banned node %s for 60 s" % by_seed.id()),
          "an id ban names the full id")
    check(lines_with(seed, "INFO", "ban lifted: address 127.99.0.1 (by the operator)"),
          "an unban is logged with its reason")
    up = [l for l in seed.logtext().splitlines() if "session with " in l and " up" in l]
    logged_id = up[0].split("session with ", 1)[1].split(" ", 1)[0]
    check(len(logged_id) == 64 and seed.rpc("getscore", logged_id) is not None,
          "the id in a log line is the full hex id, which getscore accepts")

    # Why a session ended, once: the peer that stops is 'peer left: shutdown'.
    add_id = by_add.id()
    for n in (seed, by_seed, by_dns, peer):
        session_ends_once(n, "node %d" % n.index)
    check(by_add.stop() == 0, "the addnode-by-name node stopped cleanly")
    wait_until(lambda: lines_with(peer, add_id, "ended: peer left: shutdown"), 20,
               "the stopped peer's session end")
    ends = lines_with(peer, "session with " + add_id, "ended")
    check(len(ends) >= 1 and "ended: peer left: shutdown: node shutting down" in ends[-1] and
          len(lines_with(peer, add_id, "peer left: shutdown")) == 1,
          "the stopped peer's session end is one line, with its reason")
    for n in net.nodes:
        if n.proc:
            check(n.stop() == 0, "node %d stopped cleanly" % n.index)


run("names", body)
