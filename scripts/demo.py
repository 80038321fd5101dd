#!/usr/bin/env python3
"""make demo: a local hearsay network of real nodes, shown live.

First one session up close: two hearsay-pair processes run the Noise XX handshake over TCP,
prove their identities, and one sends a signed rumor the other verifies. Then 24 hearsayd processes on 127.A.0.1 (a different /16 network group each), two of them seeds,
bootstrap into an overlay; one publishes a signed rumor and another sets a state entry while a
live line counts the nodes that have it; a misbehaving peer (hearsay-mallory, a separate test
tool) sends a rumor with a forged signature and is banned, with the score explanation; then
every node stops cleanly. With --keep (make demo KEEP=1) the network is left running instead,
with a stop script, and the closing commands work against it.
"""
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from hearsay_rpc import Client as Rpc, wait_for

ARGS = [a for a in sys.argv[1:] if a != "--keep"]
KEEP = "--keep" in sys.argv[1:]
BIN = os.path.abspath(ARGS[0] if ARGS else os.path.join(os.path.dirname(__file__), "..",
                                                          "build", "bin"))
N = 24
STEPS = 7
_step = [0]
NETWORK = "demo"
TTY = sys.stdout.isatty()


def say(text=""):
    print(text, flush=True)


def step(text):
    _step[0] += 1
    say("[%d/%d] %s" % (_step[0], STEPS, text))


def live(text):
    if TTY:
        sys.stdout.write("\r\033[K" + text)
        sys.stdout.flush()


def bar(have, total, width=24):
    fill = have * width // total
    return "[" + "#" * fill + "." * (width - fill) + "]"


def watch(subs, method, match, label, timeout=10.0):
    """Counts subscribers that report a matching notification; prints a live line."""
    t0 = time.time()
    seen = set()
    socks = {s.sock: i for i, s in enumerate(subs)}
    while len(seen) < len(subs) and time.time() - t0 < timeout:
        ready, _, _ = select.select(list(socks), [], [], 0.05)
        for sk in ready:
            i = socks[sk]
            subs[i].read_buffered()
            for msg in subs[i].messages():
                if msg.get("method") == method and match(msg["params"]):
                    seen.add(i)
        live("  %s %s %2d/%d nodes  %6.1f ms" % (label, bar(len(seen), len(subs)), len(seen),
                                                 len(subs), (time.time() - t0) * 1000))
    elapsed = (time.time() - t0) * 1000
    if TTY:
        sys.stdout.write("\n")
    say("  %s reached %d of %d nodes in %.1f ms" % (label, len(seen), len(subs), elapsed))
    return len(seen)


def show_pair(root, port):
    """One session up close: hearsay-pair's handshake and verified rumor, step by step."""
    step("one session up close: two hearsay-pair processes on 127.9.0.1:%d" % port)
    pair = os.path.join(BIN, "hearsay-pair")
    addr = "127.9.0.1:%d" % port
    dirs = [os.path.join(root, "pair-" + side) for side in ("listener", "connector")]
    for d in dirs:
        os.makedirs(d)
    lst = subprocess.Popen([pair, "listen", addr, "-network=" + NETWORK, "-datadir=" + dirs[0]],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    out = []
    for line in lst.stdout:
        out.append(line)
        if "listening on" in line:
            break
    con = subprocess.run([pair, "connect", addr, "-network=" + NETWORK, "-datadir=" + dirs[1]],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=20)
    out += lst.communicate(timeout=20)[0].splitlines(True)
    for line in con.stdout.splitlines(True) + out:
        say("   " + line.rstrip())
    if con.returncode != 0 or lst.returncode != 0:
        raise SystemExit("demo: hearsay-pair failed (status %d and %d)" %
                         (con.returncode, lst.returncode))


def start_nodes(root, port):
    addrs = ["127.%d.0.1:%d" % (10 + i, port) for i in range(N)]
    procs = []
    for i in range(N):
        d = os.path.join(root, "node%02d" % i)
        os.makedirs(d)
        args = [os.path.join(BIN, "hearsayd"), "-datadir=" + d, "-listen=" + addrs[i],
                "-network=" + NETWORK, "-rpcport=0"]
        if i < 2:
            args += ["-seed=1", "-addnode=" + addrs[1 - i]]
        else:
            args += ["-seednode=" + addrs[0], "-seednode=" + addrs[1]]
        log = open(os.path.join(d, "log"), "wb")
        # Kept nodes get a session of their own, so the terminal's Ctrl-C does not reach them.
        procs.append((d, subprocess.Popen(args, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                          start_new_session=KEEP)))
        log.close()
    return addrs, procs


def show_misbehaviour(rpcs, addrs):
    step("a misbehaving peer (hearsay-mallory) sends node 9 a rumor with a forged signature")
    m = subprocess.run([os.path.join(BIN, "hearsay-mallory"), "badsig-rumor", addrs[9],
                        "-network=" + NETWORK, "-bind=127.66.0.1"], capture_output=True,
                       text=True, timeout=30)
    for line in m.stdout.splitlines():
        say("   " + line)
    mid = m.stdout.split()[1].rstrip(":")
    sc = rpcs[9].call("getscore", mid)
    say("   node 9: getscore %s... -> score %.1f, standing %s" %
        (mid[:16], sc["score"], sc["standing"]))
    for ev in sc["events"]:
        say("     event: %-14s %+.0f points" % (ev["kind"], ev["points"]))
    for b in rpcs[9].call("listbanned"):
        what = b.get("id", b.get("address"))
        say("     banned: %s (%s) for %d s" % (what[:24], b["reason"],
                                              b["banned_until"] - b["ban_created"]))
    honest = rpcs[9].call("getpeerinfo")
    say("   node 9 still serves its %d honest peers" % sum(p["active"] for p in honest))
    return mid


STOP_SCRIPT = """#!/bin/sh
# Stops the hearsay demo network left running by make demo KEEP=1, and removes its data.
for pid in {pids}; do
	case "$(tr '\\0' ' ' </proc/$pid/cmdline 2>/dev/null)" in
	*hearsayd*-datadir={root}/*) kill -TERM "$pid" ;;
	esac
done
i=0
while [ $i -lt 100 ]; do
	alive=0
	for pid in {pids}; do
		grep -qs -- "-datadir={root}/" /proc/$pid/cmdline && alive=1
	done
	[ $alive = 0 ] && break
	sleep 0.1
	i=$((i + 1))
done
rm -rf {root}
rm -f {marker}
echo "hearsay demo: network stopped, {root} removed"
"""


def leave_running(root, procs):
    """Writes ROOT/stop and BUILD/demo-running (for make demo-stop); returns the script."""
    stop = os.path.join(root, "stop")
    marker = os.path.join(os.path.dirname(BIN), "demo-running")
    with open(stop, "w") as f:
        f.write(STOP_SCRIPT.format(pids=" ".join(str(p.pid) for _, p in procs), root=root,
                                   marker=marker))
    os.chmod(stop, 0o755)
    with open(marker, "w") as f:
        f.write(stop + "\n")
    return stop


def show_next(root, ids, stop):
    """The hearsay-cli commands to try next: on the kept network, or on a node of one's own."""
    if stop:
        say("== the network is still running: try ==")
        say("   export PATH=%s:$PATH D=%s" % (BIN, root))
        d = "$D/node%02d"
        cmds = [(d % 5, "getnetworkinfo"), (d % 5, "getpeerinfo"),
                (d % 17, 'publish blocks "block 815,001"'),
                (d % 3, "subscribe blocks            # one line per rumor; Ctrl-C ends it"),
                (d % 23, "getstate %s height" % ids["state"]),
                (d % 9, "listbanned"), (d % 9, "getscore %s" % ids["mallory"])]
        for datadir, cmd in cmds:
            say("   hearsay-cli -datadir=%s %s" % (datadir, cmd))
        say("   stop it: make demo-stop   (or %s)" % stop)
        return
    say("== next ==")
    say("   make demo KEEP=1 leaves this network running and shows hearsay-cli commands for it.")
    say("   A node of your own (README.md, Running a node):")
    say("   %s/hearsayd -datadir=$HOME/.hearsay -listen=0.0.0.0:7070 -seednode=IP:PORT &" % BIN)
    for cmd in ("getnetworkinfo", 'publish blocks "block 815000"', "subscribe blocks",
                "getpeerinfo"):
        say("   %s/hearsay-cli %s" % (BIN, cmd))


def main():
    root = tempfile.mkdtemp(prefix="hearsay-demo-")
    port = 17000 + os.getpid() % 2000
    procs = []
    ok = kept = False
    try:
        say("== hearsay demo: %d nodes on loopback, network '%s' ==" % (N, NETWORK))
        say("   data in %s; each node on 127.A.0.1:%d, a /16 network group of its own" %
            (root, port))
        show_pair(root, port + 1)
        t0 = time.time()
        addrs, procs = start_nodes(root, port)
        wait_for(lambda: all(os.path.exists(os.path.join(d, "rpc.sock")) for d, _ in procs),
                 20, "the nodes to start", "demo")
        rpcs = [Rpc(d) for d, _ in procs]
        step("%d hearsayd processes started (2 seeds); bootstrapping from the seeds" % N)

        def sessions():
            return [sum(p["active"] for p in r.call("getpeerinfo")) for r in rpcs]
        wait_for(lambda: min(sessions()) >= 3, 30, "the overlay to form", "demo")
        s = sessions()
        step("overlay formed in %.1f s: %d sessions, %d..%d per node" %
            (time.time() - t0, sum(s) // 2, min(s), max(s)))

        subs = [Rpc(d) for d, _ in procs]
        for sub in subs:
            sub.call("subscribe")
        origin = rpcs[17].call("getnetworkinfo")["id"]
        step("node 17 (%s...) publishes a signed rumor on topic 'blocks'" % origin[:16])
        rid = rpcs[17].call("publish", "blocks", "block 815,000 hash 00000000a1b2c3")["id"]
        watch(subs, "rumor", lambda p: p["id"] == rid, "rumor %s..." % rid[:8])

        sid = rpcs[5].call("getnetworkinfo")["id"]
        step("node 5 (%s...) sets state height=815000" % sid[:16])
        entry = rpcs[5].call("setstate", "height", "815000")
        watch(subs, "state", lambda p: p["id"] == entry["id"], "state height ")
        got = rpcs[23].call("getstate", sid, "height")
        say("   node 23 reads it back: height=%s (generation %d, version %d, signed by %s...)" %
            (got["value"], got["generation"], got["version"], got["origin"][:16]))

        ids = {"mallory": show_misbehaviour(rpcs, addrs), "state": sid}
        for c in subs + rpcs:
            c.close()
        if KEEP:
            step("every node left running (KEEP=1); logs in %s/nodeNN/log" % root)
            stop = leave_running(root, procs)
            say("== done in %.1f s ==" % (time.time() - t0))
            show_next(root, ids, stop)
            procs = []
            ok = kept = True
            return 0

        step("stopping every node (SIGTERM: each tells its peers it leaves)")
        for _, p in procs:
            p.send_signal(signal.SIGTERM)
        codes = [p.wait(timeout=20) for _, p in procs]
        say("   %d of %d nodes exited cleanly (status 0)" % (codes.count(0), N))
        ok = codes.count(0) == N
        say("== done in %.1f s ==" % (time.time() - t0))
        if ok:
            show_next(root, ids, None)
    finally:
        for _, p in procs:
            if p.poll() is None:
                p.kill()
        if kept:
            pass
        elif ok:
            shutil.rmtree(root, ignore_errors=True)
        else:
            say("demo: logs kept in " + root)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
