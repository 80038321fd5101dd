"""Bad starts: unknown keys, bad values, bad flags, an unwritable data directory, a port in
use, a key file others can read — each one clear error line and a non-zero exit, never a crash
or a half-started node. Plus --help, --version and SIGHUP reload."""
import os
import signal
import stat
import subprocess
import time

from framework import BIN, check, run, wait_until

HEARSAYD = os.path.join(BIN, "hearsayd")


def start(args, timeout=20):
    return subprocess.run([HEARSAYD, "-rpcport=0"] + args, capture_output=True, text=True,
                          timeout=timeout)


def errors(r):
    """The error lines: every stderr line without INFO (config errors are plain lines)."""
    return [l for l in r.stderr.splitlines() if "INFO" not in l and "DEBUG" not in l]


def expect(r, code, words, what):
    lines = errors(r)
    ok = r.returncode == code and len(lines) == 1 and all(w in lines[0] for w in words)
    check(ok, "%s -> exit %d, one line naming %s%s" %
          (what, code, words, "" if ok else " (got %d: %r)" % (r.returncode, lines)))


def body(net):
    root = net.root
    d = os.path.join(root, "cfg")
    os.makedirs(d)
    conf = os.path.join(d, "hearsay.conf")
    base = ["-datadir=" + d, "-listen=127.31.0.1:%d" % net.port]

    r = start(["--help"])
    check(r.returncode == 0 and "-peers_max" in r.stdout, "--help lists the options")
    r = start(["--version"])
    check(r.returncode == 0 and r.stdout.startswith("hearsayd "), "--version")

    with open(conf, "w") as f:
        f.write("# a comment\nnetwork=ok\nfrobnicate=1\n")
    expect(start(base), 78, ["frobnicate", "line 3"], "unknown key in the file")
    with open(conf, "w") as f:
        f.write("peers_max=lots\n")
    expect(start(base), 78, ["peers_max", "lots", "1..128"], "bad value in the file")
    with open(conf, "w") as f:
        f.write("network=ok\neagerpus=3\n")
    expect(start(base), 78, ["eagerpus", "line 2", "did you mean 'eager_push'"],
           "a misspelt key in the file names the nearest one")
    with open(conf, "w") as f:
        f.write("eagerpush=3\nmaxconnections=4\nmaxoutbound=8\n")
    r = start(base)
    check(r.returncode == 78 and "'eagerpush' in %s line 1 is deprecated: use 'eager_push'" % conf
          in r.stderr and "use 'peers_max'" in r.stderr and "outbound (8) exceeds peers_max (4)"
          in r.stderr, "old key names still work, each with a warning naming the new one")
    with open(conf, "w") as f:
        f.write("[section]\nnetwork=x\n")
    expect(start(base), 78, ["section"], "an ini section")
    os.unlink(conf)
    expect(start(base + ["-bogus=1"]), 64, ["bogus"], "unknown flag")
    expect(start(base + ["-pull_interval=100"]), 64,
           ["-pull_interval", "did you mean '-pull_interval_ms'"], "a flag without its unit")
    expect(start(base + ["-eager_cover=101"]), 64, ["eager_cover", "0..100"], "a knob out of range")
    expect(start(base + ["-bantime_s=0"]), 64, ["bantime_s"], "bad flag value")
    expect(start(base + ["-peers_max=4", "-outbound=8"]), 78, ["outbound", "peers_max"],
           "outbound above peers_max")
    expect(start(base + ["-score_flood=abc"]), 64, ["score_flood", "number"], "a weight not a number")
    expect(start(base + ["-score_flood=5"]), 78, ["ladder"], "a fault weight that rewards")
    expect(start(base + ["-score_graylist=-10"]), 78, ["ladder"], "thresholds out of order")
    expect(start(base + ["-metrics=0.0.0.0:9"]), 78, ["metricsallowremote"],
           "metrics on a non-loopback address without metricsallowremote")

    blocker = os.path.join(root, "afile")
    open(blocker, "w").close()
    expect(start(["-datadir=" + os.path.join(blocker, "sub"), base[1]]), 73,
           ["data directory"], "a data directory that cannot be created")

    # A port in use: a second node on the same listen address.
    d1 = os.path.join(root, "first")
    first = subprocess.Popen([HEARSAYD, "-rpcport=0", "-datadir=" + d1, base[1]],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_until(lambda: os.path.exists(os.path.join(d1, "rpc.sock")), 20, "the first node")
    d2 = os.path.join(root, "second")
    r = start(["-datadir=" + d2, base[1]])
    expect(r, 69, ["cannot listen", "address already in use"], "a port in use")
    check(not os.path.exists(os.path.join(d2, "rpc.sock")) and
          not os.path.exists(os.path.join(d2, ".cookie")), "the failed node left no socket or cookie")
    check(first.poll() is None, "the first node is unaffected")

    # A data directory made beforehand with mode 0755 is made private, with a warning.
    d3 = os.path.join(root, "loose")
    os.makedirs(d3, mode=0o755)
    os.chmod(d3, 0o755)
    loose = subprocess.Popen([HEARSAYD, "-rpcport=0", "-datadir=" + d3,
                              "-listen=127.31.0.2:%d" % net.port],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wait_until(lambda: os.path.exists(os.path.join(d3, "rpc.sock")), 20, "the loose node")
    loose.send_signal(signal.SIGTERM)
    out = loose.communicate(timeout=15)[1]
    check(stat.S_IMODE(os.stat(d3).st_mode) == 0o700 and "made it 0700" in out,
          "a group/other-readable data directory is made 0700 and the log says so")

    # SIGHUP reloads the file.
    with open(os.path.join(d1, "hearsay.conf"), "w") as f:
        f.write("loglevel=debug\n")
    first.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    check(first.poll() is None, "SIGHUP does not stop the node")
    first.send_signal(signal.SIGTERM)
    check(first.wait(timeout=15) == 0, "the first node stopped cleanly")

    # A key file others can read.
    key = os.path.join(d1, "identity.key")
    os.chmod(key, 0o644)
    expect(start(["-datadir=" + d1, base[1]]), 77, ["identity.key", "chmod 600"],
           "a key file with loose permissions")
    os.chmod(key, 0o600)
    with open(key, "a") as f:
        f.write("junk\n")
    r = start(["-datadir=" + d1, base[1]])
    check(r.returncode == 65 and len(errors(r)) == 1, "a malformed key file -> exit 65, one line")


run("config", body)
