"""Garbage, an oversize frame, a bad handshake signature, a rumor with a bad signature and a
frame flood: each disconnected while the node keeps serving its other peers. Only what is
provable is penalised: garbage and a bad frame length could come from anyone on the path (the
attacker's address stays unbanned); a bad identity proof under a valid Noise tag bans the
address (no identity was proven); a bad signature or a flood inside a session bans identity and
address."""
import os
import subprocess

from framework import BIN, check, run, wait_until

# attack, what it proves: None (nothing), "addr" (the address), "id" (identity and address)
ATTACKS = [
    ("garbage", None),
    ("oversize", None),
    ("badproof", "addr"),
    ("badsig-rumor", "id"),
    ("flood", "id"),
]


def body(net):
    a = net.add().start()
    b = net.add(["-addnode=" + a.addr]).start()
    wait_until(lambda: len(a.peers()) == 1, 20, "the honest peer to connect")
    for i, (attack, proves) in enumerate(ATTACKS):
        src = "127.77.%d.1" % i
        r = subprocess.run([os.path.join(BIN, "hearsay-mallory"), attack, a.addr,
                            "-network=" + net.network, "-bind=" + src],
                           capture_output=True, text=True, timeout=30)
        check(r.returncode == 0, "%s: the attacker was disconnected (%s)" %
              (attack, r.stdout.strip().splitlines()[-1]))
        mal_id = r.stdout.split()[1].rstrip(":")
        banned = {x.get("address") for x in a.rpc("listbanned")}
        if proves == "id":
            s = a.rpc("getscore", mal_id)
            check(s["banned"] and s["events"], "%s: penalised and banned, explained by %s" %
                  (attack, [e["kind"] for e in s["events"]][-1]))
            check(src in banned, "%s: its address %s is banned too" % (attack, src))
        elif proves == "addr":
            check(src in banned, "%s: its address %s is banned" % (attack, src))
            check("WARN" in a.logtext(), "%s: the fault is logged" % attack)
        else:
            check(src not in banned, "%s: nothing provable, %s is not banned" % (attack, src))
            check("closing %s" % src in a.logtext(), "%s: the close is logged" % attack)
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
    # An origin that signs two entries for one slot is convicted: the proof is kept and
    # listed (both signed encodings included), the origin is banned for equivocation and its
    # session closed, and the proof is sent on: the honest peer convicts it too, without
    # ever having seen both entries from it.
    r = subprocess.run([os.path.join(BIN, "hearsay-mallory"), "equivocate", a.addr,
                        "-network=" + net.network, "-bind=127.77.9.1", "-wait=1500"],
                       capture_output=True, text=True, timeout=30)
    check("closed" in r.stdout,
          "equivocate: the node closed the session (%s)" % r.stdout.strip().splitlines()[-1])
    mal_id = r.stdout.split()[1].rstrip(":")
    s = a.rpc("getscore", mal_id)
    check(s["banned"] and any(e["kind"] == "equivocation" for e in s["events"]),
          "equivocate: the origin is banned, explained by equivocation (%s)" %
          [e["kind"] for e in s["events"]])
    wait_until(lambda: b.rpc("listequivocations")["seen"] == 1, 10,
               "the honest peer to receive the proof")
    check(b.rpc("getscore", mal_id)["banned"], "the honest peer bans the origin too")
    eq = a.rpc("listequivocations")
    check(eq["seen"] == 1 and len(eq["proofs"]) == 1, "listequivocations: one proof (%s)" % eq)
    pair = eq["proofs"][0] if eq["proofs"] else []
    check(len(pair) == 2 and {e["origin"] for e in pair} == {mal_id} and
          {e["value"] for e in pair} == {"1", "2"} and
          len({(e["key"], e["generation"], e["version"]) for e in pair}) == 1 and
          all(len(e["signed_hex"]) > 128 for e in pair),
          "the proof is both signed entries for one slot, by the attacker's key")
    check(a.stop() == 0 and b.stop() == 0, "both nodes stopped cleanly")


run("misbehave", body)
