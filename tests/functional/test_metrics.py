"""The Prometheus endpoint: every family has # HELP and # TYPE and follows the naming rules,
the values move when rumors and state flow and when a peer commits a fault (counted by kind),
and the bad inputs a scraper can send (an oversize head, idle connections up to and over the
limits, a slow client, a client that never finishes its request) are bounded, counted and never
keep a real scrape from being answered at once."""
import os
import re
import select
import socket
import subprocess
import threading
import time
import urllib.error
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

    # Bad scrapers: an oversize head, idle connections up to and over the limits, a slow
    # client, a client that never finishes. None may keep a real scrape of a from answering.
    host, port = ma.split(":")
    port = int(port)

    def dropped(reason):
        return parse(scrape(ma))[0][("hearsay_metrics_dropped_total", '{reason="%s"}' % reason)]

    def reply_of(s):
        try:
            s.settimeout(10)
            return s.recv(64)
        except OSError:
            return b""  # reset: the server closed with our bytes unread

    head0 = dropped("head")
    for junk in (b"GET /" + b"x" * (1 << 20),  # a request line that never ends
                 b"GET /metrics HTTP/1.1\r\nHost: a\r\nX-Pad: " + b"x" * (1 << 20),
                 b"NONSENSE\r\n\r\n"):  # and a malformed one
        big = socket.create_connection((host, port))
        try:
            big.sendall(junk)
        except OSError:
            pass  # the server may close mid-send: that is the point
        reply = reply_of(big)
        time.sleep(0.3)  # the server closes first: a client hanging up is not counted
        big.close()
        check(reply == b"" or reply.split(b" ")[1] in (b"400", b"413", b"414", b"431"),
              "a bad head gets an error or a close: %r" % reply[:32])
    wait_until(lambda: dropped("head") >= head0 + 3, 10, "the bad heads to be counted")
    check(dropped("head") >= head0 + 3, "the oversize and malformed heads are counted as head")
    for path, method, status in (("/nope", "GET", 404), ("/metrics", "POST", 405)):
        try:
            req = urllib.request.Request("http://%s%s" % (ma, path), method=method,
                                         data=b"x" if method == "POST" else None)
            got = urllib.request.urlopen(req, timeout=10).status
        except urllib.error.HTTPError as e:
            got = e.code
        check(got == status, "%s %s gets %d (%d)" % (method, path, status, got))
    quiet = socket.create_connection((host, port))
    quiet.close()  # a client that connects and hangs up is no drop
    time.sleep(0.3)
    check(dropped("head") == head0 + 3, "a connection closed by its client is not counted")

    # A slow client trickles its head a byte at a time (within the idle timeout) all along.
    stop = threading.Event()
    slow_reply = []

    def trickle():
        s = socket.create_connection((host, port))
        s.sendall(b"GET /metrics HTTP/1.0\r\nX-Slow: ")
        while not stop.wait(0.3):
            s.sendall(b"a")
        s.sendall(b"\r\n\r\n")
        slow_reply.append(reply_of(s))
        s.close()

    slow = threading.Thread(target=trickle)
    slow.start()
    opened = []

    def open_from(src, n):
        """n connections from src; returns how many the server closed at once."""
        got = [socket.create_connection((host, port), source_address=(src, 0))
               for _ in range(n)]
        opened.extend(got)
        closed = 0
        deadline = time.monotonic() + 1.0
        pending = list(got)
        while pending and time.monotonic() < deadline:
            ready, _, _ = select.select(pending, [], [], max(0.0, deadline - time.monotonic()))
            for s in ready:
                pending.remove(s)
                if reply_of(s) == b"":
                    closed += 1
        return closed

    def timed_scrape(what):
        t0 = time.monotonic()
        values = parse(scrape(ma))[0]
        took = time.monotonic() - t0
        check(took < 2 and ("hearsay_peers", '{direction="out"}') in values,
              "a real scrape of a succeeds promptly with %s (%.3f s)" % (what, took))

    try:
        clients0 = dropped("clients")
        check(open_from("127.0.0.1", 24) == 0, "24 idle connections are accepted")
        timed_scrape("24 idle connections and a slow client open")
        # One address is held to HS_METRICS_PER_IP_MAX (32): 35 from 127.0.0.2, 3 refused.
        refused = open_from("127.0.0.2", 35)
        check(refused == 3, "connections over the per-address limit are closed at once (%d)"
              % refused)
        check(open_from("127.0.0.3", 3) == 0, "another address still gets slots")
        # Open: 24 + 32 + 3 idle and the slow client, 60 of HS_METRICS_CONNECTIONS_MAX (64).
        timed_scrape("60 connections open (the limit minus 4)")
        over = open_from("127.0.0.4", 8)
        check(over >= 3, "connections over the total limit are closed at once (%d)" % over)
        for s in opened[-8:]:
            s.close()
        wait_until(lambda: scrape(ma), 10, "a to answer again")
        check(dropped("clients") >= clients0 + 3 + over,
              "connections refused over the limits are counted as clients")
        timed_scrape("the limit minus 4 open again")
        b_values = parse(scrape(mb))[0]  # the other node is unaffected
        check(b_values[("hearsay_peers", '{direction="out"}')] == 1, "b still scrapes")
    finally:
        stop.set()
        slow.join(20)
        for s in opened:
            s.close()
    check(slow_reply and slow_reply[0].startswith(b"HTTP/1.") and b" 200 " in slow_reply[0],
          "the slow client's scrape is answered too: %r" % (slow_reply[:1],))

    timeout0 = dropped("timeout")
    half = socket.create_connection((host, port))
    half.sendall(b"GET /metrics HTTP/1.0\r\n")
    half.settimeout(15)
    t0 = time.monotonic()
    closed = half.recv(1) == b""
    waited = time.monotonic() - t0
    half.close()
    check(closed and waited >= 3,
          "a request never finished is closed after the timeout (%.1f s)" % waited)
    check(dropped("timeout") >= timeout0 + 1, "the unfinished request is counted as timeout")
    rid = b.rpc("publish", "metrics", "after the scrapers")["id"]
    wait_until(lambda: a.rpc("getrumor", rid), 10, "a to keep relaying")
    check(a.stop() == 0 and b.stop() == 0, "both nodes stopped cleanly")


run("metrics", body)
