#!/usr/bin/env python3
"""Devnet benchmark: 32 hearsayd processes on loopback.

Measures rumor delivery latency (publish on one node -> delivered on every other node, as seen
by a subscriber on each node, p50 and max over all pairs), the resident memory of each daemon,
and each daemon's idle CPU and idle bytes per second over a quiet window. Writes
bench/results/devnet.json. The machine is noisy and the numbers include the RPC path (a
publish request and a subscription notification), so they are an upper bound on the overlay's
own latency.
"""
import json
import os
import random
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
RUMORS = 100
IDLE_S = 30
CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


def bytes_sent(rpc):
    return sum(p["bytes_sent"] for p in rpc.call("getpeerinfo"))


def measure_latency(rpcs, subs, rng):
    lat = []
    for k in range(RUMORS):
        origin = rng.randrange(N)
        t0 = time.perf_counter()
        rid = rpcs[origin].call("publish", "bench", "rumor %d" % k)["id"]
        pending = set(range(N)) - {origin}
        socks = {s.sock: i for i, s in enumerate(subs)}
        while pending:
            ready, _, _ = select.select(list(socks), [], [], 5)
            if not ready:
                raise SystemExit("devnet: rumor %d not delivered everywhere" % k)
            now = time.perf_counter()
            for sk in ready:
                i = socks[sk]
                subs[i].read_buffered()
                for msg in subs[i].messages():
                    if msg.get("method") == "rumor" and msg["params"]["id"] == rid \
                            and i in pending:
                        pending.discard(i)
                        lat.append((now - t0) * 1000)
        time.sleep(0.05)
    return lat


def main():
    rng = random.Random(7)
    root = tempfile.mkdtemp(prefix="hearsay-devnet-")
    port = 19000 + os.getpid() % 1000
    addrs = ["127.%d.0.1:%d" % (40 + i, port) for i in range(N)]
    procs = []
    try:
        for i in range(N):
            d = os.path.join(root, "n%02d" % i)
            os.makedirs(d)
            args = [os.path.join(BIN, "hearsayd"), "-datadir=" + d, "-listen=" + addrs[i],
                    "-network=devnet", "-loglevel=warn", "-rpcport=0"]
            args += (["-seed=1", "-addnode=" + addrs[1 - i]] if i < 2 else
                     ["-seednode=" + addrs[0], "-seednode=" + addrs[1]])
            log = open(os.path.join(d, "log"), "wb")
            procs.append((d, subprocess.Popen(args, stdout=log, stderr=log)))
        wait_for(lambda: all(os.path.exists(os.path.join(d, "rpc.sock")) for d, _ in procs),
                 30, "the daemons", "devnet")
        rpcs = [Rpc(d) for d, _ in procs]
        wait_for(lambda: all(sum(p["active"] for p in r.call("getpeerinfo")) >= 4
                             for r in rpcs), 60, "the overlay", "devnet")
        time.sleep(5)  # let the dialling settle
        sessions = [sum(p["active"] for p in r.call("getpeerinfo")) for r in rpcs]
        subs = [Rpc(d) for d, _ in procs]
        for s in subs:
            s.call("subscribe", "bench")
        lat = measure_latency(rpcs, subs, rng)
        for s in subs:
            s.close()
        # Idle: no publishes; sample CPU ticks and bytes sent over a quiet window.
        time.sleep(2)
        t0 = time.time()
        ticks0 = [cpu_ticks(p.pid) for _, p in procs]
        sent0 = [bytes_sent(r) for r in rpcs]
        time.sleep(IDLE_S)
        dt = time.time() - t0
        cpu = [100.0 * (cpu_ticks(p.pid) - t) / CLK_TCK / dt for (_, p), t in zip(procs, ticks0)]
        bps = [(bytes_sent(r) - s) / dt for r, s in zip(rpcs, sent0)]
        rss = [rss_kb(p.pid) for _, p in procs]
        for r in rpcs:
            r.close()
        for _, p in procs:
            p.send_signal(signal.SIGTERM)
        clean = sum(p.wait(timeout=20) == 0 for _, p in procs)
        result = {
            "bench": "devnet",
            "daemons": N,
            "rumors": RUMORS,
            "sessions_per_daemon": {"min": min(sessions), "max": max(sessions),
                                    "mean": sum(sessions) / N},
            "latency_ms": {"p50": pct(lat, 50), "p99": pct(lat, 99), "max": max(lat),
                           "samples": len(lat)},
            "rss_mb": {"median": pct(rss, 50) / 1024.0, "max": max(rss) / 1024.0},
            "idle_cpu_percent": {"mean": sum(cpu) / N, "max": max(cpu)},
            "idle_bytes_per_s": {"mean": sum(bps) / N, "max": max(bps)},
            "idle_window_s": round(dt, 1),
            "clean_exits": clean,
            "targets": {"latency_p50_ms": 10, "latency_max_ms": 50, "rss_mb": 8,
                        "idle_cpu_percent": 0.2, "idle_bytes_per_s": 1024},
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        os.makedirs(OUT, exist_ok=True)
        with open(os.path.join(OUT, "devnet.json"), "w") as f:
            json.dump(result, f, indent=2)
        print("devnet: latency p50 %.2f ms, p99 %.2f ms, max %.2f ms over %d deliveries" %
              (result["latency_ms"]["p50"], result["latency_ms"]["p99"],
               result["latency_ms"]["max"], len(lat)))
        print("devnet: RSS median %.1f MB, max %.1f MB; idle CPU mean %.3f %%, max %.3f %%; "
              "idle %.0f B/s mean, %.0f B/s max; %d/%d clean exits" %
              (result["rss_mb"]["median"], result["rss_mb"]["max"],
               result["idle_cpu_percent"]["mean"], result["idle_cpu_percent"]["max"],
               result["idle_bytes_per_s"]["mean"], result["idle_bytes_per_s"]["max"], clean, N))
    finally:
        for _, p in procs:
            if p.poll() is None:
                p.kill()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
