"""Validation on hearsayd: a signer policy (topicsigners) and an external validator over RPC.

The line E - A - B - C - D (every link fixed with -connect, no other outbound):
  1. B takes `blocks` only from A: A's rumor on blocks reaches D; E's, relayed by A, stops at B
     (counted), and A is not charged for it; B's own publish on blocks is refused.
  2. A Python validator on C judges topic `tx`: a rejected rumor stops at C (D never gets it)
     and charges its origin, not the relay B; an accepted one reaches D; an unanswered one gets
     the default (ignore) at the deadline and a late answer is refused; answering twice or an
     unknown id is refused; a validator that disconnects releases its held rumor at once; a
     registration flood is refused past the limit.
"""
import json
import os
import signal
import socket
import subprocess
import time

from framework import BIN, check, fail, run, wait_until
from rpcclient import Client

TIMEOUT_MS = 3000


class Validator(Client):
    """A validator connection: keeps notifications that arrive while it waits for a reply."""

    def __init__(self, datadir):
        super().__init__(datadir)
        self.sock.settimeout(0.2)
        self.queue = []

    def pump(self):
        try:
            self.read_buffered()
        except socket.timeout:
            pass
        for m in self.messages():
            if m.get("method") == "validate":
                self.queue.append(m["params"])
            else:
                self.replies[m.get("id")] = m

    def request(self, method, *params):
        if not hasattr(self, "replies"):
            self.replies = {}
        self.send(method, *params)
        want = self.next_id
        end = time.time() + 10
        while want not in self.replies:
            if time.time() > end:
                fail("no reply to " + method)
            self.pump()
        return self.replies.pop(want)

    def next_rumor(self, timeout=10):
        if not hasattr(self, "replies"):
            self.replies = {}
        end = time.time() + timeout
        while not self.queue:
            if time.time() > end:
                fail("the validator was sent no rumor")
            self.pump()
        return self.queue.pop(0)


def has(node, rid):
    try:
        node.rpc("getrumor", rid)
        return True
    except Exception:
        return False


def body(net):
    e, a, b, c, d = (net.add() for _ in range(5))
    a.args += ["-maxoutbound=0"]
    d.args += ["-maxoutbound=0"]
    c.args += ["-connect=" + d.addr, "-validate_timeout_ms=%d" % TIMEOUT_MS,
               "-validate_default=ignore"]
    e.args += ["-connect=" + a.addr]
    for n in (a, d, c, e):
        n.start()
    aid, eid = a.id(), e.id()
    b.args += ["-connect=" + a.addr, "-connect=" + c.addr]
    conf = os.path.join(b.datadir, "hearsay.conf")
    with open(conf, "w") as f:
        f.write("topicsigners=blocks:%s\n" % aid)
    b.start()
    wait_until(lambda: len(b.peers()) == 2 and len(c.peers()) == 2 and len(a.peers()) == 2,
               30, "the line E-A-B-C-D to form")
    check(True, "the line E - A - B - C - D is up")

    # ---- 1. the signer policy at B --------------------------------------------------------
    bad = e.rpc("publish", "blocks", "block from an unlisted signer")["id"]
    wait_until(lambda: b.rpc("getvalidationinfo")["policy_dropped"] == 1, 15,
               "B to drop E's block")
    good = a.rpc("publish", "blocks", "block from the listed signer")["id"]
    wait_until(lambda: has(d, good), 15, "A's block to reach D")
    check(True, "a block from the listed origin A reaches D")
    check(has(a, bad) and not has(b, bad) and not has(c, bad) and not has(d, bad),
          "a block from the unlisted origin E stops at B (A has it; B, C, D do not)")
    info = b.rpc("getvalidationinfo")
    check(info["policy_dropped"] == 1 and info["policies"][0]["signers"] == [aid],
          "B counts the dropped block and lists its policy")
    pa = [p for p in b.peers() if p["id"] == aid][0]
    sa = b.rpc("getscore", aid)
    check(pa["score"] >= 0 and "rejected" not in sa["totals"] and not sa["banned"],
          "the relay A is not charged for E's block (score %.2f)" % pa["score"])
    se = b.rpc("getscore", eid)
    check(se["score"] == 0 and not se["banned"], "nor is the origin E: the policy is B's own")
    try:
        b.rpc("publish", "blocks", "B is not a listed signer")
        fail("B's own publish on blocks was accepted")
    except Exception as err:
        check("topicsigners" in str(err), "B's own publish on blocks fails: %s" % err)
    with open(conf, "a") as f:
        f.write("topicsigners=blocks:%s\n" % eid)
    b.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: len(b.rpc("getvalidationinfo")["policies"][0]["signers"]) == 2, 10,
               "B to reload its policy")
    later = e.rpc("publish", "blocks", "block from E, now listed")["id"]
    wait_until(lambda: has(d, later), 15, "E's block to reach D after the reload")
    check(True, "after SIGHUP adds E's key, E's next block reaches D")

    # ---- 2. an external validator at C ----------------------------------------------------
    v = Validator(c.datadir)
    reg = v.request("validate", "tx")
    check(reg.get("result", {}).get("validating") == "tx" and
          reg["result"]["timeout_ms"] == TIMEOUT_MS and reg["result"]["default"] == "ignore",
          "a validator registers for tx on C: %s" % json.dumps(reg.get("result")))
    again = v.request("validate", "other")
    check("error" in again and "one per connection" in again["error"]["message"],
          "a second topic on one connection is refused")

    rid = a.rpc("publish", "tx", "bad transaction")["id"]
    r = v.next_rumor()
    check(r["id"] == rid and r["data_hex"] == b"bad transaction".hex() and r["origin"] == aid,
          "the validator gets the rumor with its id, origin and payload (hex)")
    ans = v.request("verdict", rid, "reject")
    check(ans.get("result") == {"verdict": "reject"}, "C takes the reject")
    twice = v.request("verdict", rid, "accept")
    check("error" in twice and "already answered" in twice["error"]["message"],
          "a second verdict for one id is refused")
    unknown = v.request("verdict", "00" * 32, "accept")
    check("error" in unknown and "unknown" in unknown["error"]["message"],
          "a verdict for an unknown id is refused")

    ok = a.rpc("publish", "tx", "good transaction")["id"]
    r = v.next_rumor()
    check(r["id"] == ok, "the validator gets the second rumor")
    check(v.request("verdict", ok, "accept").get("result") == {"verdict": "accept"},
          "C takes the accept")
    wait_until(lambda: has(d, ok), 15, "the accepted rumor to reach D")
    check(True, "the accepted rumor reaches D")
    check(not has(c, rid) and not has(d, rid), "the rejected rumor stopped at C: D never got it")
    sa = c.rpc("getscore", aid)
    bid = b.id()
    pb = [p for p in c.peers() if p["id"] == bid][0]
    check(sa["score"] < 0 and sa["totals"]["rejected"]["count"] == 1,
          "the origin A is charged at C for the rejected rumor (score %.1f)" % sa["score"])
    check(pb["score"] >= 0 and "rejected" not in c.rpc("getscore", bid)["totals"],
          "the relay B is not charged at C (score %.2f)" % pb["score"])

    slow = a.rpc("publish", "tx", "nobody answers this")["id"]
    r = v.next_rumor()
    check(r["id"] == slow and r["deadline_ms"] == TIMEOUT_MS, "the validator gets a third rumor")
    check(c.rpc("getvalidationinfo")["held"] == 1, "C holds it for the verdict")
    wait_until(lambda: c.rpc("getvalidationinfo")["held"] == 0, TIMEOUT_MS / 1000 + 5,
               "the deadline to pass")
    late = v.request("verdict", slow, "accept")
    check("error" in late and "too late" in late["error"]["message"],
          "a verdict after the deadline is refused: %s" % late["error"]["message"])
    check(not has(c, slow) and not has(d, slow) and
          c.rpc("getvalidationinfo")["timeouts"] == 1,
          "the unanswered rumor got the default (ignore): D never got it")

    held = a.rpc("publish", "tx", "the validator leaves")["id"]
    r = v.next_rumor()
    check(r["id"] == held, "the validator gets a fourth rumor")
    t0 = time.time()
    v.close()
    wait_until(lambda: c.rpc("getvalidationinfo")["held"] == 0, 10, "the release")
    info = c.rpc("getvalidationinfo")
    check(time.time() - t0 < TIMEOUT_MS / 1000 and info["disconnect_defaults"] == 1 and
          info["validators"] == [],
          "a validator that disconnects releases its held rumor at once (%.2f s)"
          % (time.time() - t0))
    check(not has(d, held), "the released rumor got the default (ignore)")
    after = a.rpc("publish", "tx", "no validator now")["id"]
    wait_until(lambda: has(d, after), 15, "a rumor with no validator to reach D")
    check(True, "with no validator registered, tx rumors are accepted again")

    clients = []
    for i in range(4):
        w = Validator(c.datadir)
        clients.append(w)
        res = w.request("validate", "v%d" % i)
        check("result" in res, "validator %d of 4 registers" % (i + 1))
    extra = Validator(c.datadir)
    res = extra.request("validate", "v9")
    check("error" in res and "too many validators" in res["error"]["message"],
          "a fifth validator is refused: %s" % res["error"]["message"])
    dup = Validator(c.datadir)
    res = dup.request("validate", "v0")
    check("error" in res and "already has a validator" in res["error"]["message"],
          "a second validator for one topic is refused")
    for w in clients + [extra, dup]:
        w.close()
    check(c.rpc("getvalidationinfo")["registrations_refused"] == 3,
          "every refused registration is counted")
    wait_until(lambda: c.rpc("getvalidationinfo")["validators"] == [], 10,
               "the validators to leave")

    # ---- hearsay-cli validate -----------------------------------------------------------
    cli = subprocess.Popen([os.path.join(BIN, "hearsay-cli"), "-datadir=" + c.datadir,
                            "validate", "cli"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                           text=True)
    try:
        ack = json.loads(cli.stdout.readline())
        check(ack["validating"] == "cli", "hearsay-cli validate registers")
        rid = a.rpc("publish", "cli", "judged in a shell")["id"]
        r = json.loads(cli.stdout.readline())
        check(r["id"] == rid and r["data"] == "judged in a shell",
              "hearsay-cli prints the rumor to judge as a JSON line")
        cli.stdin.write(rid + " accept\n")
        cli.stdin.flush()
        check(json.loads(cli.stdout.readline()) == {"verdict": "accept"},
              "hearsay-cli sends the verdict read from stdin and prints the answer")
        wait_until(lambda: has(d, rid), 15, "the CLI-accepted rumor to reach D")
        check(True, "the rumor accepted through hearsay-cli reaches D")
        cli.stdin.close()
        check(cli.wait(timeout=10) == 0, "hearsay-cli validate exits 0 at the end of stdin")
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.wait()
    for n in net.nodes:
        check(n.stop() == 0, "node %d stopped cleanly" % n.index)


run("validate", body)
