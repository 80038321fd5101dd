"""listrumors: a subscriber pages through recent rumors of a topic with a cursor, resumes after
a restart of its own, is told (reset) when the node restarted, and is told how many rumors it
can no longer read (missed: the ring wrapped, or the rumor passed its retention)."""
import time

from framework import RpcError, check, fail, run, wait_until
import rpcclient  # noqa: F401 (puts scripts/ on the path)
from hearsay_rpc import Client, HttpClient, RpcError as ClientRpcError, catch_up

RING = 4096  # HS_RECENT_RUMORS_MAX


def page_all(client, topic, cursor=None, count=100):
    """Every rumor after cursor, paging count at a time: (rumors, last reply, pages)."""
    got, last, pages = [], None, 0
    for reply in catch_up(client, topic, cursor, count):
        check_page(reply, count)
        got += reply["rumors"]
        last, pages = reply, pages + 1
    return got, last, pages


def check_page(reply, count):
    if len(reply["rumors"]) > count:
        fail("a page of %d rumors for COUNT %d" % (len(reply["rumors"]), count))
    if reply["rumors"] and seq(reply["cursor"]) < seq(reply["rumors"][-1]["cursor"]):
        fail("the reply's cursor is behind its last rumor")


def seq(cursor):
    return int(cursor.split("-")[1])


def body(net):
    a, b, c = net.add(), net.add(), net.add()
    a.start()
    b.args.append("-addnode=" + a.addr)
    c.args.append("-addnode=" + a.addr)
    b.start()
    c.start()
    wait_until(lambda: len(a.peers()) == 2, 20, "a to see b and c")
    ca, cb, cc = (Client(n.datadir, timeout=20) for n in (a, b, c))

    # N rumors on news from b, interleaved with rumors on sport from c.
    news, sport = [], []
    for i in range(30):
        news.append(cb.call("publish", "news", "n%d" % i)["id"])
        if i < 20:
            sport.append(cc.call("publish", "sport", "s%d" % i)["id"])
    wait_until(lambda: ca.call("listrumors", "", "", 1000)["held"] == 50, 20,
               "a to deliver all 50 rumors")

    got, last, pages = page_all(ca, "news", count=7)
    ids = [r["id"] for r in got]
    check(pages == 5, "30 news rumors at COUNT 7 take 5 pages (%d)" % pages)
    check(len(ids) == len(set(ids)) == 30 and set(ids) == set(news),
          "paging news gives each of the 30 exactly once, and no sport rumor")
    check(all(r["topic"] == "news" for r in got), "every rumor listed is on news")
    seqs = [seq(r["cursor"]) for r in got]
    check(seqs == sorted(seqs) and len(set(seqs)) == 30, "oldest first, in delivery order")
    everything = [r["id"] for r in page_all(ca, "*", count=1000)[0]]
    check([i for i in everything if i in set(news)] == ids,
          "the order is the node's delivery order (as listrumors * gives it)")
    check(last["missed"] == 0 and not last["reset"] and not last["more"],
          "nothing missed, no reset, nothing more")
    own, _, _ = page_all(cb, "news", count=1000)
    check([r["id"] for r in own] == news, "at the publisher, the order is the publish order")
    check(all(set(r) >= {"id", "origin", "topic", "time_ms", "data", "data_hex", "cursor"}
              for r in got), "each rumor has the subscribe notification's fields")
    check({r["data"] for r in got} == {"n%d" % i for i in range(30)}, "data is the text")
    sport_got = [r["id"] for r in page_all(ca, "sport", count=3)[0]]
    check(sorted(sport_got) == sorted(sport), "sport lists its own 20")
    empty = ca.call("listrumors", "news", last["cursor"])
    check(empty["rumors"] == [] and empty["cursor"] == last["cursor"] and not empty["more"],
          "at the end: no rumors, and the same cursor back")

    # A subscriber restarts: it resumes from its cursor and gets exactly the new ones.
    cursor = last["cursor"]
    sub = Client(a.datadir, timeout=20)
    sub.call("subscribe", "news")
    fresh = [cb.call("publish", "news", "late%d" % i)["id"] for i in range(5)]
    note = next(sub.notifications())["params"]
    sub.close()
    check(note["id"] == fresh[0] and seq(note["cursor"]) > seq(cursor),
          "subscribe's rumor notification carries its cursor")
    for i in range(3):
        cc.call("publish", "sport", "late%d" % i)
    wait_until(lambda: ca.call("listrumors", "", "", 1000)["held"] == 58, 20,
               "a to deliver the 8 new rumors")
    resumed, rlast, _ = page_all(ca, "news", cursor, count=2)
    check(sorted(r["id"] for r in resumed) == sorted(fresh),
          "resuming from the cursor gives exactly the 5 new news rumors")
    check(rlast["missed"] == 0 and not rlast["reset"], "nothing missed, no reset")
    after_note = page_all(ca, "news", note["cursor"], count=100)[0]
    check([r["id"] for r in after_note] == [r["id"] for r in resumed[1:]],
          "a notification's cursor resumes right after that rumor")
    check(resumed[0]["cursor"] == note["cursor"], "listrumors gives the rumor the same cursor")
    mid = ca.call("listrumors", "news", cursor, 1)
    again = ca.call("listrumors", "news", mid["rumors"][0]["cursor"], 100)
    check([r["id"] for r in mid["rumors"] + again["rumors"]] == [r["id"] for r in resumed],
          "a rumor's own cursor resumes right after it")

    # Over HTTP too (the same method table).
    h = HttpClient(a.ip, a.rpcport, datadir=a.datadir, timeout=10)
    hr = h.call("listrumors", "news", cursor, 100)
    check([r["id"] for r in hr["rumors"]] == [r["id"] for r in resumed],
          "listrumors over HTTP gives the same")
    h.close()

    # A cursor from another node is not ours: reset, from the oldest held.
    foreign = cb.call("listrumors", "news", "", 1)["cursor"]
    fr = ca.call("listrumors", "news", foreign, 1000)
    check(fr["reset"] and len(fr["rumors"]) == 35, "b's cursor at a: reset, all 35 news")
    ahead = cursor.split("-")[0] + "-999999"
    check(ca.call("listrumors", "news", ahead)["reset"], "a cursor ahead of the node: reset")

    # Malformed parameters: -32602, never a crash.
    run_tag = cursor.split("-")[0]
    bad = [("news", "garbage"), ("news", "zz" + run_tag[2:] + "-1"),
           ("news", run_tag.upper() + "-1"), ("news", run_tag), ("news", run_tag + "-"),
           ("news", run_tag + "-1x"), ("news", run_tag + "--1"), ("news", run_tag + "-1 "),
           ("news", run_tag + "-" + "9" * 21), ("news", "x" * 5000), ("news", 5),
           ("news", "", 0), ("news", "", -1), ("news", "", 1001), ("news", "", "abc"),
           ("news", "", 1.5), ("news", "", "1e3"), ("bad topic",), ("news", "", 1, 2),
           (), (7,)]
    for params in bad:
        try:
            ca.call("listrumors", *params)
            fail("listrumors %r was accepted" % (params,))
        except ClientRpcError as e:
            if e.code != -32602:
                fail("listrumors %r: code %s, not -32602" % (params, e.code))
    check(True, "%d malformed cursors, counts and topics get -32602" % len(bad))
    try:
        a.rpc("listrumors", "news", "not-a-cursor")
        fail("hearsay-cli accepted a bad cursor")
    except RpcError as e:
        check(e.code == -32602 and "CURSOR" in e.message, "hearsay-cli shows the error")
    check(a.rpc("listrumors", "news", cursor, "2")["rumors"][0]["id"] == resumed[0]["id"],
          "hearsay-cli listrumors TOPIC CURSOR COUNT works")
    check(ca.call("ping") is None and a.proc.poll() is None, "a still runs")

    # The node restarts: the old cursor gives reset.
    for cl in (ca, cb, cc):
        cl.close()
    check(a.stop() == 0, "a stopped cleanly")
    a.start()
    ca = Client(a.datadir, timeout=20)
    after = ca.call("listrumors", "news", cursor, 1000)
    check(after["reset"] and after["missed"] == 0,
          "after a's restart, the old cursor gives reset (from the oldest held: %d)"
          % after["held"])
    new_id = ca.call("publish", "news", "after-restart")["id"]
    nr = ca.call("listrumors", "news", after["cursor"], 1000)
    check(new_id in [r["id"] for r in nr["rumors"]] and not nr["reset"],
          "the cursor the reset reply gave is good in the new run")
    ca.close()
    for n in (b, c):
        check(n.stop() == 0, "node %d stopped cleanly" % n.index)

    # Retention: a rumor whose body is gone is counted as missed, once.
    d = net.add(["-retention_s=2", "-pull_window_s=1"])
    d.start()
    cd = Client(d.datadir, timeout=20)
    start = cd.call("listrumors", "x")["cursor"]
    old = [cd.call("publish", "x", "old%d" % i)["id"] for i in range(3)]
    cd.call("publish", "y", "other")

    def gone():
        try:
            cd.call("getrumor", old[-1])
            return False
        except ClientRpcError:
            return True
    wait_until(gone, 15, "the rumors to pass their 2 s retention")
    kept = cd.call("publish", "x", "kept")["id"]
    ex = cd.call("listrumors", "x", start)
    check(ex["missed_expired"] == 3 and ex["missed"] == 3 and ex["missed_overflow"] == 0,
          "3 expired x rumors are missed (not the expired y one)")
    check([r["id"] for r in ex["rumors"]] == [kept], "the kept one is listed")
    check(cd.call("listrumors", "x", ex["cursor"])["missed"] == 0,
          "the missed ones are behind the cursor: not counted twice")
    cd.close()
    check(d.stop() == 0, "d stopped cleanly")

    # Overflow of the real ring: RING + 10 rumors on one node.
    e = net.add()
    e.start()
    ce = Client(e.datadir, timeout=30)
    first = ce.call("listrumors", "t")["cursor"]
    t0 = time.time()
    total = RING + 10
    for i in range(total):
        ce.send("publish", "t" if i % 2 else "u", "r%d" % i)
    replies = 0
    while replies < total:
        msg = ce.line()
        if msg.get("error"):
            fail("publish failed: %s" % msg["error"])
        replies += 1
    print("     published %d rumors in %.1f s" % (total, time.time() - t0), flush=True)
    ov = ce.call("listrumors", "t", first, 1000)
    check(ov["held"] == RING and ov["evicted"] == 10, "the ring holds %d, 10 evicted" % RING)
    check(ov["missed_overflow"] == 10 and ov["missed"] == 10 and not ov["reset"],
          "a cursor from before the ring wrapped: missed_overflow 10 (%d)"
          % ov["missed_overflow"])
    check(ov["rumors"][0]["data"] == "r11", "the first listed is the oldest t rumor held")
    tail, tlast, _ = page_all(ce, "t", ov["cursor"], count=1000)
    check(len(ov["rumors"]) + len(tail) == RING // 2 and tlast["missed"] == 0,
          "paging on lists the other %d t rumors held, nothing more missed" % (RING // 2))

    # Large rumors: a reply stops at about 4 MiB (HS_RECENT_REPLY_BYTES_MAX), more says so.
    big = [ce.call("publishhex", "big", "%02x" % i * 60000)["id"] for i in range(20)]
    p1 = ce.call("listrumors", "big", "", 100)
    check(len(p1["rumors"]) == 17 and p1["more"],
          "20 rumors of 60000 bytes: the first reply holds 17 (%d) and more is true"
          % len(p1["rumors"]))
    p2 = ce.call("listrumors", "big", p1["cursor"], 100)
    check([r["id"] for r in p1["rumors"] + p2["rumors"]] == big and not p2["more"],
          "the next reply holds the other 3, and no more")
    ce.close()
    check(e.stop() == 0, "e stopped cleanly")


run("recent", body)
