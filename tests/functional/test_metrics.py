"""The Prometheus endpoint: every family has # HELP and # TYPE and follows the naming rules,
the values move when rumors and state flow and when a peer commits a fault (counted by kind),
and the bad inputs a scraper can send (an oversize head, a flood of connections, a client that
never finishes its request) are bounded, counted and leave the node serving."""
import os
import re
import socket
import subprocess
import time
import urllib.request

from framework import BIN, check, run, wait_until

SAMPLE = re.compile(r'^(hearsay_[a-z_]+)(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? (\S+)$')


def scrape(addr):
    return urllib.request.urlopen("http://%s/metrics" % addr, timeout=10).read().decode()


def parse(text):
    """{(name, labels): value}; checks HELP/TYPE precede every family's samples."""
    values, helped, typed = {}, set(), {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            helped.add(line.split()[2])
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            typed[name] = kind
        else:
            m = SAMPLE.match(line)
            if not m:
                raise AssertionError("not a Prometheus sample line: %r" % line)
            name = m.group(1)
            if name not in helped or name not in typed:
                raise AssertionError("%s has samples before its # HELP and # TYPE" % name)
            values[(name, m.group(2) or "")] = float(m.group(4))
    return values, helped, typed


def total(values, name):
    return sum(v for (n, _), v in values.items() if n == name)


def body(net):
    ma = "127.0.0.1:%d" % (net.port + 1)
    mb = "127.0.0.1:%d" % (net.port + 2)
    a = net.add(["-metrics=" + ma]).start()
    # b also keeps dialling a port where nothing listens: a refused dial, counted by result.
    dead = "127.0.0.1:%d" % (net.port + 3)
    b = net.add(["-metrics=" + mb, "-addnode=" + a.addr, "-addnode=" + dead]).start()
    wait_until(lambda: len(a.peers()) == 1 and len(b.peers()) == 1, 20, "the two to connect")

    before, helped, typed = parse(scrape(mb))
    check(helped == set(typed), "every family has both # HELP and # TYPE (%d)" % len(typed))
    text = scrape(mb)
    check(all(len(l.split(" ", 3)) == 4 and l.split(" ", 3)[3].strip()
              for l in text.splitlines() if l.startswith("# HELP ")), "every HELP has a text")
    sampled = {n for n, _ in before}
    check(set(typed) <= sampled, "every family has a sample (%s)" % (set(typed) - sampled))
    check(all(v >= 0 for v in before.values()), "no negative value")
    for fam in ("hearsay_addresses", "hearsay_state_entries", "hearsay_stored_rumors",
                "hearsay_stored_rumor_bytes", "hearsay_faults_total", "hearsay_bans",
                "hearsay_signature_checks_total", "hearsay_signature_checks_refused_total",
                "hearsay_evictions_total", "hearsay_dials_total", "hearsay_build_info"):
        check(fam in typed, "the %s family is exported" % fam)
    ops = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs",
                            "OPERATIONS.md"), encoding="utf-8").read()
    undocumented = [n for n in typed if not re.search(r"`%s[`{]" % n, ops)]
    check(not undocumented, "docs/OPERATIONS.md's table lists every family (%s)" % undocumented)
    check(("hearsay_addresses", '{state="new"}') in before and
          ("hearsay_addresses", '{state="tried"}') in before, "address book: new and tried")
    check(before[("hearsay_dials_total", '{result="ok"}')] >= 1, "b's dial to a counted ok")
    wait_until(lambda: parse(scrape(mb))[0][("hearsay_dials_total", '{result="refused"}')] >= 1,
               20, "b's dial to a dead port to be counted as refused")
    check(("hearsay_dials_total", '{result="failed"}') in before, "dial results: ok, failed, "
          "refused")
    check(sorted(lab for n, lab in before if n == "hearsay_signature_checks_refused_total") ==
          ['{share="group"}', '{share="peer"}'], "verification refusals by share")
    bad = [n for n, k in typed.items() if (k == "counter") != n.endswith("_total")]
    check(not bad, "counters, and only counters, end in _total (%s)" % bad)
    check(all(not re.search(r"_(ms|kb|milliseconds|kilobytes)(_|$)", n) for n in typed),
          "base units only (seconds, bytes)")
    info = [lab for n, lab in before if n == "hearsay_build_info"]
    check(len(info) == 1 and 'version="' in info[0], "build info is exported: %s" % info)
    check(before[("hearsay_peers", '{direction="out"}')] == 1, "b has one outbound session")
    check(("hearsay_faults_total", '{kind="bad-signature"}') in before,
          "faults are counted by kind, zeros included")

    n = 5
    ids = [a.rpc("publish", "metrics", "rumor %d" % i)["id"] for i in range(n)]
    a.rpc("setstate", "height", "815000")
    wait_until(lambda: all(b.rpc("getrumor", i) for i in ids), 20, "b to receive the rumors")
    wait_until(lambda: parse(scrape(mb))[0][("hearsay_state_entries", "")] >= 1, 20,
               "b to hold a's state entry")
    after, _, _ = parse(scrape(mb))
    va, _, _ = parse(scrape(ma))
    check(va[("hearsay_rumors_published_total", "")] == n, "a counts its %d publishes" % n)
    delivered = after[("hearsay_rumors_delivered_total", "")]
    check(delivered - before[("hearsay_rumors_delivered_total", "")] == n,
          "b's delivered counter moved by %d" % n)
    check(after[("hearsay_stored_rumors", "")] >= n, "b stores the rumors (%d)" %
          after[("hearsay_stored_rumors", "")])
    check(after[("hearsay_stored_rumor_bytes", "")] > before[("hearsay_stored_rumor_bytes", "")],
          "stored rumor bytes grew")
    check(after[("hearsay_state_bytes", "")] > 0, "state bytes are counted")
    check(after[("hearsay_received_bytes_total", "")] >
          before[("hearsay_received_bytes_total", "")], "received bytes grew")
    check(after[("hearsay_signature_checks_total", "")] >=
          before[("hearsay_signature_checks_total", "")] + n, "b verified the signatures")
    check(total(after, "hearsay_messages_received_total") >
          total(before, "hearsay_messages_received_total"), "messages received by type grew")
    check(total(after, "hearsay_addresses") >= 1, "b's address book holds a's record")

    # A provable fault is counted under its kind, and the ban shows up by kind.
    r = subprocess.run([os.path.join(BIN, "hearsay-mallory"), "badsig-rumor", a.addr,
                        "-network=" + net.network, "-bind=127.78.0.1"],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 0, "the forger was disconnected")
    va, _, _ = parse(scrape(ma))
    check(va[("hearsay_faults_total", '{kind="bad-signature"}')] == 1,
          "the forged signature is counted as a bad-signature fault")
    check(total(va, "hearsay_faults_total") >= 1 and
          va[("hearsay_signature_failures_total", "")] >= 1, "faults and failures agree")
    check(va[("hearsay_bans", '{kind="id",reason="misbehaving"}')] >= 1 and
          va[("hearsay_bans", '{kind="address",reason="misbehaving"}')] >= 1,
          "bans are shown by kind: the forger's id and address")
    kinds = {lab.split('"')[1] for n, lab in va if n == "hearsay_bans"}
    check(kinds == {"id", "address", "prefix64", "group"}, "ban kinds %s" % sorted(kinds))
    a.rpc("setban", "127.0.0.9", "add", "600")
    a.rpc("setban", "[2001:db8:1:2::5]", "add", "600")
    va, _, _ = parse(scrape(ma))
    check(va[("hearsay_bans", '{kind="address",reason="operator"}')] == 1 and
          va[("hearsay_bans", '{kind="prefix64",reason="operator"}')] == 1,
          "operator bans are shown apart, an IPv6 one as its /64")

    # Bad scrapers: an oversize head, more clients than allowed, a client that never finishes.
    host, port = ma.split(":")
    big = socket.create_connection((host, int(port)))
    try:
        big.sendall(b"GET /" + b"x" * (1 << 20))
    except OSError:
        pass  # the responder may close mid-send: that is the point
    big.close()
    many = [socket.create_connection((host, int(port))) for _ in range(24)]
    time.sleep(0.5)
    slow = many[0]
    slow.sendall(b"GET /met")
    values = parse(scrape(mb))[0]  # the other node is unaffected
    check(values[("hearsay_peers", '{direction="out"}')] == 1, "b still scrapes")
    for s in many:
        s.close()
    wait_until(lambda: scrape(ma), 10, "a to answer again")
    va, _, _ = parse(scrape(ma))
    check(va[("hearsay_metrics_dropped_total", '{reason="head"}')] >= 1,
          "the oversize head was dropped and counted")
    check(va[("hearsay_metrics_dropped_total", '{reason="clients"}')] >= 1,
          "connections over the client limit were dropped and counted")
    half = socket.create_connection((host, int(port)))
    half.sendall(b"GET /metrics HTTP/1.0\r\n")
    half.settimeout(15)
    closed = half.recv(1) == b""
    half.close()
    va, _, _ = parse(scrape(ma))
    check(closed and va[("hearsay_metrics_dropped_total", '{reason="timeout"}')] >= 1,
          "a request never finished is dropped after the timeout and counted")
    rid = b.rpc("publish", "metrics", "after the scrapers")["id"]
    wait_until(lambda: a.rpc("getrumor", rid), 10, "a to keep relaying")
    check(a.stop() == 0 and b.stop() == 0, "both nodes stopped cleanly")


run("metrics", body)
