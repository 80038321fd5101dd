"""A restart keeps addresses, bans, scores and state, and raises the generation (by one, or to
the wall clock's milliseconds when those are higher)."""
import os
import shutil

from framework import BIN, check, run, wait_until
import subprocess


def body(net):
    a, b, c = net.add(), net.add(), net.add()
    a.start()
    b.args.append("-addnode=" + a.addr)
    c.args.append("-addnode=" + a.addr)
    b.start()
    c.start()
    wait_until(lambda: len(a.peers()) == 2, 20, "a to see b and c")
    gen0 = a.rpc("getnetworkinfo")["generation"]
    a_id = a.id()

    # A misbehaving peer earns a score and a ban; the operator bans an address too.
    mal = subprocess.run([os.path.join(BIN, "hearsay-mallory"), "badsig-rumor", a.addr,
                          "-network=" + net.network, "-bind=127.99.0.1"],
                         capture_output=True, text=True, timeout=30)
    check(mal.returncode == 0, "the misbehaving peer was disconnected")
    mal_id = mal.stdout.split()[1].rstrip(":")
    score0 = a.rpc("getscore", mal_id)
    check(score0["banned"] and score0["score"] < -99, "its score fell to the ban threshold (it decays from there)")
    a.rpc("setban", "127.55.0.1", "add", "3600")
    bans0 = a.rpc("listbanned")
    check(len(bans0) == 3, "three bans: the peer's id and address, and the operator's")
    a.rpc("setstate", "color", "blue")
    wait_until(lambda: len(a.rpc("getnodeaddresses", "0")) >= 2, 10, "a to learn addresses")
    addrs0 = {x["id"] for x in a.rpc("getnodeaddresses", "0")}

    check(a.stop() == 0, "a stopped cleanly")
    a.start()
    info = a.rpc("getnetworkinfo")
    check(info["id"] == a_id, "the identity survived (the key file)")
    check(info["generation"] > gen0, "the generation went from %d to %d" %
          (gen0, info["generation"]))
    addrs1 = {x["id"] for x in a.rpc("getnodeaddresses", "0")}
    check(addrs0 <= addrs1, "the address book survived (%d records)" % len(addrs1))
    bans1 = a.rpc("listbanned")
    key = lambda x: (x.get("id") or "", x.get("address") or "", x["banned_until"])
    check(sorted(map(key, bans0)) == sorted(map(key, bans1)), "the bans survived")
    score1 = a.rpc("getscore", mal_id)
    check(score1["totals"] == score0["totals"] and score1["events"] == score0["events"],
          "the score and its explanation survived")
    st = a.rpc("getstate", a_id, "color")
    check(st["value"] == "blue" and st["generation"] == gen0,
          "our state survived (written in generation %d)" % gen0)
    new = a.rpc("setstate", "color", "green")
    check(new["generation"] == info["generation"], "new state is written in the new generation")
    wait_until(lambda: b.rpc("getstate", a_id, "color")["value"] == "green", 20,
               "the new generation's state to win at b")
    check(True, "a restarted node's fresh state wins over its old state")

    # The store lost, the key kept (a restore, a new disk): the generation still outranks
    # everything a signed before, so its new state wins at b again.
    check(a.stop() == 0, "a stopped cleanly")
    shutil.rmtree(os.path.join(a.datadir, "store"))
    a.start()
    lost = a.rpc("getnetworkinfo")
    check(lost["id"] == a_id and lost["generation"] > info["generation"],
          "with a new store the generation still rose (%d -> %d)" %
          (info["generation"], lost["generation"]))
    a.rpc("setstate", "color", "violet")
    wait_until(lambda: b.rpc("getstate", a_id, "color")["value"] == "violet", 20,
               "state written after the store was lost to win at b")
    for n in (a, b, c):
        check(n.stop() == 0, "node %d stopped cleanly" % n.index)


run("restart", body)
