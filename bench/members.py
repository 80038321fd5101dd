#!/usr/bin/env python3
"""Membership benchmark: failure detection across 32 hearsayd processes on loopback.

Every daemon runs a 1 s heartbeat (suspect after 3 intervals, dead after 6) and has a
`subscribe members` client. Once every daemon lists all 32 alive and the overlay has settled,
the bench measures each daemon's bytes sent per second over a quiet window (heartbeats are
then nearly all the traffic) and its sessions,
then kills three daemons one after the other (kill -9) and times, from each kill, the suspect
and dead events of the victim at every other daemon; "all dead" is when the last one said so.
Last, one daemon leaves (the leave RPC) and the bench times its leave events. Writes
bench/results/members.json. The documented bound is dead_heartbeats x interval after the
victim's last heartbeat, which left up to one interval before the kill, plus the table's 0.5 s
ageing and propagation.
"""
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from hearsay_rpc import Client as Rpc, wait_for  # noqa: E402

BIN = sys.argv[1] if len(sys.argv) > 1 else "build-bench/bin"
OUT = sys.argv[2] if len(sys.argv) > 2 else "bench/results"
N = 32
INTERVAL_S, SUSPECT, DEAD = 1, 3, 6
VICTIMS = (5, 17, 29)  # never the two seeds
LEAVER = 11
IDLE_S = 10


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def summary(values):
    return {"min": min(values), "p50": pct(values, 50), "p90": pct(values, 90),
            "max": max(values), "samples": len(values)}


def bytes_sent(rpc):
    return sum(p["bytes_sent"] for p in rpc.call("getpeerinfo"))


def events_until(subs, live, node_id, changes, t0, timeout):
    """Reads member notifications until every live subscriber reported each change in changes
    for node_id; returns {change: {index: seconds since t0}}."""
    seen = {c: {} for c in changes}
    socks = {subs[i].sock: i for i in live}
    end = t0 + timeout
    while any(len(seen[c]) < len(live) for c in changes):
        left = end - time.perf_counter()
        if left <= 0:
            raise SystemExit("members: %s of %s not reported everywhere (%s)" %
                             (changes, node_id[:8], {c: len(v) for c, v in seen.items()}))
        ready, _, _ = select.select(list(socks), [], [], left)
        now = time.perf_counter()
        for sk in ready:
            i = socks[sk]
            if not subs[i].read_buffered():
                raise SystemExit("members: daemon %d closed its subscription" % i)
            for msg in subs[i].messages():
                p = msg.get("params") or {}
                if msg.get("method") == "member" and p.get("id") == node_id and \
                        p.get("change") in seen and i not in seen[p["change"]]:
                    seen[p["change"]][i] = now - t0
    return seen


def main():
    root = tempfile.mkdtemp(prefix="hearsay-members-")
    port = 19000 + os.getpid() % 1000 + 1000
    addrs = ["127.%d.0.1:%d" % (80 + i, port) for i in range(N)]
    procs = []
    try:
        for i in range(N):
            d = os.path.join(root, "n%02d" % i)
            os.makedirs(d)
            args = [os.path.join(BIN, "hearsayd"), "-datadir=" + d, "-listen=" + addrs[i],
                    "-network=members", "-loglevel=warn", "-rpcport=0",
                    "-heartbeat_interval_s=%d" % INTERVAL_S,
                    "-suspect_heartbeats=%d" % SUSPECT, "-dead_heartbeats=%d" % DEAD]
            args += (["-seed=1", "-addnode=" + addrs[1 - i]] if i < 2 else
                     ["-seednode=" + addrs[0], "-seednode=" + addrs[1]])
            log = open(os.path.join(d, "log"), "wb")
            procs.append((d, subprocess.Popen(args, stdout=log, stderr=log)))
        wait_for(lambda: all(os.path.exists(os.path.join(d, "rpc.sock")) for d, _ in procs),
                 30, "the daemons", "members")
        rpcs = [Rpc(d) for d, _ in procs]
        ids = [r.call("getnetworkinfo")["id"] for r in rpcs]

        def everyone_alive():
            for r in rpcs:
                c = r.call("getnetworkinfo")["members"]
                if c["alive"] != N or c["total"] != N:
                    return False
            return True

        t_up = time.perf_counter()
        wait_for(everyone_alive, 120, "every daemon to list %d alive" % N, "members")
        converge_s = time.perf_counter() - t_up
        wait_for(lambda: all(sum(p["active"] for p in r.call("getpeerinfo")) >= 4
                             for r in rpcs), 60, "the overlay", "members")
        time.sleep(5)  # let the dialling settle, as the devnet bench does
        subs = [Rpc(d) for d, _ in procs]
        for s in subs:
            s.call("subscribe", "members")
            s.sock.settimeout(None)

        # Quiet window: heartbeats are the traffic.
        t0 = time.time()
        sent0 = [bytes_sent(r) for r in rpcs]
        time.sleep(IDLE_S)
        dt = time.time() - t0
        bps = [(bytes_sent(r) - s) / dt for r, s in zip(rpcs, sent0)]
        sessions = [sum(p["active"] for p in r.call("getpeerinfo")) for r in rpcs]

        live = set(range(N))
        kills = []
        for v in VICTIMS:
            live.discard(v)
            rpcs[v].close()
            subs[v].close()
            t_kill = time.perf_counter()
            procs[v][1].kill()
            procs[v][1].wait()
            seen = events_until(subs, live, ids[v], ("suspect", "dead"), t_kill,
                                DEAD * INTERVAL_S + 60)
            kills.append({"victim": v, "suspect_s": sorted(seen["suspect"].values()),
                          "dead_s": sorted(seen["dead"].values()),
                          "all_dead_s": max(seen["dead"].values())})
            print("members: kill %d: suspect everywhere after %.2f s, dead everywhere after "
                  "%.2f s (first %.2f s)" % (v, max(seen["suspect"].values()),
                                             kills[-1]["all_dead_s"],
                                             min(seen["dead"].values())), flush=True)

        live.discard(LEAVER)
        subs[LEAVER].close()
        t_leave = time.perf_counter()
        rpcs[LEAVER].call("leave")
        rpcs[LEAVER].close()
        seen = events_until(subs, live, ids[LEAVER], ("leave",), t_leave, 30)
        leave_s = sorted(seen["leave"].values())
        leaver_rc = procs[LEAVER][1].wait(timeout=20)

        for s in subs:
            s.close()
        for i in live:
            rpcs[i].close()
        for i in live:
            procs[i][1].send_signal(signal.SIGTERM)
        clean = sum(procs[i][1].wait(timeout=20) == 0 for i in live) + (leaver_rc == 0)
        dead_all = [x for k in kills for x in k["dead_s"]]
        suspect_all = [x for k in kills for x in k["suspect_s"]]
        result = {
            "bench": "members",
            "daemons": N,
            "heartbeat_interval_s": INTERVAL_S,
            "suspect_heartbeats": SUSPECT,
            "dead_heartbeats": DEAD,
            "bound_s": DEAD * INTERVAL_S,
            "sessions_per_daemon": {"min": min(sessions), "max": max(sessions),
                                    "mean": sum(sessions) / N},
            "converge_s": round(converge_s, 2),
            "kills": [{"victim": k["victim"], "all_dead_s": round(k["all_dead_s"], 3),
                       "first_dead_s": round(min(k["dead_s"]), 3),
                       "all_suspect_s": round(max(k["suspect_s"]), 3)} for k in kills],
            "dead_after_kill_s": summary(dead_all),
            "suspect_after_kill_s": summary(suspect_all),
            "all_dead_after_kill_s": summary([k["all_dead_s"] for k in kills]),
            "left_after_leave_s": summary(leave_s),
            "idle_bytes_per_s": {"mean": sum(bps) / N, "max": max(bps)},
            "idle_window_s": round(dt, 1),
            "clean_exits": clean,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        os.makedirs(OUT, exist_ok=True)
        with open(os.path.join(OUT, "members.json"), "w") as f:
            json.dump(result, f, indent=2)
        print("members: dead after a kill p50 %.2f s, max %.2f s (bound %d s after the last "
              "heartbeat); left after a leave max %.3f s; idle %.0f B/s mean per daemon at a "
              "%d s heartbeat; %d/%d clean exits" %
              (result["dead_after_kill_s"]["p50"], result["dead_after_kill_s"]["max"],
               result["bound_s"], result["left_after_leave_s"]["max"],
               result["idle_bytes_per_s"]["mean"], INTERVAL_S, clean, N - len(VICTIMS)))
    finally:
        for _, p in procs:
            if p.poll() is None:
                p.kill()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
