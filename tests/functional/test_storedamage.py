"""A store table the load cannot read stops the start with the repair hint (never a silent
loss); -ignorestoredamage starts with the loss logged; -repairstore then keeps what it can read.

Two hundred operator bans fill several 4 KB blocks of one table; zeroing the start of its first block leaves
the schema and generation keys (in the last block) readable, so the open succeeds and the ban
load fails part way.
"""
import os
import subprocess

from framework import BIN, check, run

BANS = 200


def tables(store):
    return sorted(f for f in os.listdir(store) if f.endswith(".ldb"))


def start_fails(node, extra=()):
    args = [os.path.join(BIN, "hearsayd"), "-datadir=" + node.datadir, "-listen=0",
            "-network=" + node.net.network, "-rpcport=0"] + list(extra)
    return subprocess.run(args, capture_output=True, text=True, timeout=30)


def body(net):
    a = net.add()
    a.start()
    for i in range(BANS):
        a.rpc("setban", "%064x" % (i + 1), "add", "100000")
    check(len(a.rpc("listbanned")) == BANS, "%d bans set" % BANS)
    a.stop()
    a.start()  # the open turns the log (with the bans) into a table
    a.stop()
    store = os.path.join(a.datadir, "store")
    t = tables(store)
    check(len(t) >= 1, "the bans are in a table (%s)" % t)
    with open(os.path.join(store, t[0]), "r+b") as f:
        f.write(b"\0" * 64)  # inside the first data block

    r = start_fails(a)
    err = [line for line in (r.stdout + r.stderr).splitlines() if "ERROR" in line]
    check(r.returncode == 65 and err and "reading bans" in err[-1] and
          "-repairstore" in err[-1] and "-ignorestoredamage" in err[-1],
          "a ban table that cannot be read stops the start with the repair hint (exit %d: %s)"
          % (r.returncode, err[-1:]))

    a.start(extra=["-ignorestoredamage"])
    kept = len(a.rpc("listbanned"))
    check(kept < BANS, "-ignorestoredamage starts without the unreadable bans (%d of %d)"
          % (kept, BANS))
    check("starting with the %d that could be read" % kept in a.logtext(), "and logs the loss")
    a.stop()

    r = start_fails(a, ["-repairstore"])
    check(r.returncode == 0, "-repairstore succeeds (%s)" % (r.stdout + r.stderr).strip()[-300:])
    a.start()
    repaired = len(a.rpc("listbanned"))
    check(repaired >= kept, "after the repair the node starts with every readable ban (%d)"
          % repaired)
    a.stop()


run("storedamage", body)
