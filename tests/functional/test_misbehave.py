"""Garbage, an oversize frame, a bad handshake signature and a rumor with a bad signature:
each disconnected (penalised where provable) while the node keeps serving its other peers."""
import os
import subprocess

from framework import BIN, check, run, wait_until

ATTACKS = [
    ("garbage", False),
    ("oversize", False),
    ("badproof", False),
    ("badsig-rumor", True),
    ("flood", True),
]


def body(net):
    a = net.add().start()
    b = net.add(["-addnode=" + a.addr]).start()
    wait_until(lambda: len(a.peers()) == 1, 20, "the honest peer to connect")
    for i, (attack, provable_by_id) in enumerate(ATTACKS):
        src = "127.77.%d.1" % i
        r = subprocess.run([os.path.join(BIN, "hearsay-mallory"), attack, a.addr,
                            "-network=" + net.network, "-bind=" + src],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, "%s: the attacker was disconnected (%s)" %
              (attack, r.stdout.strip().splitlines()[-1]))
        mal_id = r.stdout.split()[1].rstrip(":")
        if provable_by_id:
            s = a.rpc("getscore", mal_id)
            check(s["banned"] and s["events"], "%s: penalised and banned, explained by %s" %
                  (attack, [e["kind"] for e in s["events"]][-1]))
            banned = {x.get("address") for x in a.rpc("listbanned")}
            check(src in banned, "%s: its address %s is banned too" % (attack, src))
        else:
            check("WARN" in a.logtext(), "%s: the fault is logged" % attack)
        # The node still serves its honest peer.
        rid = b.rpc("publish", "news", "after %s" % attack)["id"]
        wait_until(lambda: a.rpc("getrumor", rid)["data"] == "after " + attack, 10,
                   "a rumor from the honest peer after %s" % attack)
        check(len(a.peers()) == 1, "%s: the honest peer is still connected" % attack)
    # A banned address is refused at once.
    r = subprocess.run([os.path.join(BIN, "hearsay-mallory"), "good", a.addr,
                        "-network=" + net.network, "-bind=127.77.3.1", "-wait=500"],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode != 0 or "closed" in r.stdout, "a banned address is refused")
    check(a.stop() == 0 and b.stop() == 0, "both nodes stopped cleanly")


run("misbehave", body)
