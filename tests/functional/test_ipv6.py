"""IPv6 end to end, on ::1.

A listens on [::]:P (dual stack), B on [::]:P+1 with externalip=[::1]:P+1, C on [::1]:P+2,
and D on an IPv4 loopback address (port P+3: A's socket holds P on IPv4 too); B and C add A by [::1]:P, D adds it by 127.0.0.1:P
(reaching A's IPv6 socket as IPv4). Checked: every session comes up; getpeerinfo shows IPv6
peers as [::1]:port and the IPv4 one as a plain IPv4 address (never ::ffff:a.b.c.d); a rumor
published at B reaches C and D through A; and the signed node records advertise only
addresses others can dial: B's and C's [::1] addresses, never [::]:P or 0.0.0.0 (A, with
only a wildcard listen address, advertises none).
"""
from framework import check, run, wait_until


def v6(node, listen, extra=()):
    node.ip = "::1"
    node.addr = listen
    node.args += list(extra) + ["-loglevel=info"]
    return node


def body(net):
    p = net.port
    a = v6(net.add(), "[::]:%d" % p)
    b = v6(net.add(), "[::]:%d" % (p + 1), ["-externalip=[::1]:%d" % (p + 1),
                                            "-addnode=[::1]:%d" % p])
    c = v6(net.add(), "[::1]:%d" % (p + 2), ["-addnode=[::1]:%d" % p])
    d = net.add(["-addnode=127.0.0.1:%d" % p, "-loglevel=info"])
    d.addr = "%s:%d" % (d.ip, p + 3)  # A's [::]:P holds port P on every IPv4 address too
    for n in (a, b, c, d):
        n.start()
    ids = {n.index: n.id() for n in (a, b, c, d)}
    check("listening on [::]:%d (IPv6 and IPv4)" % p in a.logtext(),
          "listen=[::]:P is one dual-stack socket")

    wait_until(lambda: len(a.peers()) == 3 and all(len(n.peers()) >= 1 for n in (b, c, d)),
               20, "B, C and D in session with A")
    at_a = {q["id"]: q["addr"] for q in a.peers()}
    check(at_a[ids[b.index]].startswith("[::1]:") and at_a[ids[c.index]].startswith("[::1]:"),
          "A sees B and C at [::1] (%s, %s)" % (at_a[ids[b.index]], at_a[ids[c.index]]))
    check(at_a[ids[d.index]].startswith(d.ip + ":"),
          "A sees D, which came in over IPv4 on its IPv6 socket, at %s (no ::ffff:)" %
          at_a[ids[d.index]])
    for n, want in ((b, "[::1]:%d" % p), (c, "[::1]:%d" % p), (d, "127.0.0.1:%d" % p)):
        got = [q["addr"] for q in n.peers() if q["id"] == ids[a.index]]
        check(got == [want], "node %d reaches A at %s" % (n.index, want))

    rid = b.rpc("publish", "v6", "over ::1")["id"]

    def has(n):
        try:
            return n.rpc("getrumor", rid)["data"] == "over ::1"
        except Exception:
            return False
    wait_until(lambda: has(c) and has(d), 20, "the rumor at C and D")
    check(True, "a rumor from B reaches C (IPv6) and D (IPv4) through A")

    # Records: what each node advertises, as the others' address books hold it.
    wait_until(lambda: {ids[b.index], ids[c.index]} <=
               {r["id"] for r in a.rpc("getnodeaddresses", 0)}, 20, "B and C in A's book")
    book = {r["id"]: r["addr"] for r in a.rpc("getnodeaddresses", 0)}
    check(book[ids[b.index]] == "[::1]:%d" % (p + 1),
          "B (listen [::], externalip [::1]) advertises [::1]:%d" % (p + 1))
    check(book[ids[c.index]] == "[::1]:%d" % (p + 2), "C advertises its listen address")
    for n in (b, c, d):
        recs = n.rpc("getnodeaddresses", 0)
        bad = [r for r in recs if r["addr"] and (r["addr"].startswith("[::]:") or
                                                  r["addr"].startswith("0.0.0.0:"))]
        check(not bad, "node %d's book holds no [::] or 0.0.0.0 address (%d records)" %
              (n.index, len(recs)))
        check(all(r["id"] != ids[a.index] for r in recs),
              "node %d: A, listening only on [::], advertises no address" % n.index)
    for n in (a, b, c, d):
        check(n.stop() == 0, "node %d stopped cleanly" % n.index)


run("ipv6", body)
