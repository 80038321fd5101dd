"""A node whose clock is an hour ahead (libfaketime) is cut off from rumors both ways; it warns
in its log and shows the offset in getnetworkinfo (the median of its outbound peers' clocks),
and the peer logs the rumor from its future. Correcting the clock while the node runs restores
rumor exchange without a restart: the daemon re-reads the system clock and the core's rumor
times follow it, while its timers stay on the monotonic clock."""
import os
import time

from framework import RpcError, check, fail, run, wait_until

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def has_rumor(node, rid):
    try:
        return node.rpc("getrumor", rid)["data"] is not None
    except RpcError:
        return False


def body(net):
    if not os.path.exists(LIBFAKETIME):
        fail("libfaketime is not installed (Debian package faketime; make test installs it)")
    stamp = os.path.join(net.root, "faketime")
    with open(stamp, "w") as f:
        f.write("+3600\n")
    # Under ASan the preloaded library comes before its runtime: tell ASan that is fine.
    asan = os.environ.get("ASAN_OPTIONS", "")
    env = dict(os.environ, LD_PRELOAD=LIBFAKETIME, FAKETIME_TIMESTAMP_FILE=stamp,
               FAKETIME_NO_CACHE="1", DONT_FAKE_MONOTONIC="1",
               ASAN_OPTIONS=(asan + ":" if asan else "") + "verify_asan_link_order=0")
    b = net.add().start()
    a = net.add(["-addnode=" + b.addr]).start(env=env)
    wait_until(lambda: len(a.peers()) == 1 and len(b.peers()) == 1, 20, "the session")
    info = a.rpc("getnetworkinfo")
    check(info["timeoffset_samples"] == 1 and abs(info["timeoffset"] + 3600) <= 5,
          "getnetworkinfo: our outbound peer's clock is an hour behind ours (%d s)" %
          info["timeoffset"])
    check("ahead of the median of 1 outbound peers" in a.logtext(),
          "the node an hour ahead warns about its clock")

    rb = b.rpc("publish", "t", "from b, clocks apart")["id"]
    ra = a.rpc("publish", "t", "from a, an hour ahead")["id"]
    wait_until(lambda: "ahead of our clock" in b.logtext(), 15,
               "b to log a rumor from its future")
    time.sleep(1)
    check(not has_rumor(a, rb), "an hour ahead, a refuses b's rumor as too old")
    check(not has_rumor(b, ra), "b refuses a's rumor from an hour ahead")
    check(b.logtext().count("ahead of our clock") == 1, "b logs it once for the session")

    with open(stamp, "w") as f:
        f.write("+0\n")
    wait_until(lambda: "system clock moved" in a.logtext(), 20,
               "a to notice its corrected clock")
    check(abs(a.rpc("getnetworkinfo")["timeoffset"]) <= 5, "the offset is gone once corrected")
    rb2 = b.rpc("publish", "t", "from b, clocks agree")["id"]
    ra2 = a.rpc("publish", "t", "from a, clock corrected")["id"]
    wait_until(lambda: has_rumor(a, rb2), 15, "b's rumor to reach a after the correction")
    wait_until(lambda: has_rumor(b, ra2), 15, "a's rumor to reach b after the correction")
    check(len(a.peers()) == 1, "the session survived the clock step")
    check(a.stop() == 0 and b.stop() == 0, "both nodes stopped cleanly")


run("clock", body)
