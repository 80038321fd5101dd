"""libhearsay as an embedder gets it: `cmake --install` into a temporary prefix, the examples
built against it with pkg-config and with CMake (and one linked statically), run against four
real hearsayd processes. The block-header relay's valid headers reach every daemon, a relay
whose key is not a listed signer has its headers refused at the first hop, a malformed header
is refused before it is published, one from the network is rejected by the relay's
validator (never delivered, its relay charged), and the state watcher prints every daemon's
height. Every example process is killed at the end, whether the checks passed or not."""
import os
import re
import select
import shutil
import signal
import subprocess
import time

import json

import framework
from framework import BIN, check, fail, run, wait_until

BUILD = os.path.dirname(os.path.abspath(BIN))
EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples")


def cache(key):
    with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith(key + ":"):
                return line.split("=", 1)[1].strip()
    return ""


def sh(*cmd, env=None, cwd=None):
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=300, env=env,
                          cwd=cwd)


def public_functions(prefix):
    names = set()
    for h in ("hearsay.h", "error.h"):
        text = open(os.path.join(prefix, "include", "hearsay", h)).read()
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        names |= set(re.findall(r"\b(hs_[a-z_]+)\s*\(", text))
    return names


def check_install(prefix):
    r = sh(cache("CMAKE_COMMAND"), "--install", BUILD, "--prefix", prefix)
    check(r.returncode == 0, "cmake --install into %s%s" % (prefix, r.stderr and ": " + r.stderr))
    lib = os.path.join(prefix, "lib")
    for f in ("include/hearsay/hearsay.h", "include/hearsay/error.h", "lib/libhearsay.a",
              "lib/libhearsay.so.0", "lib/pkgconfig/hearsay.pc",
              "lib/cmake/hearsay/hearsayConfig.cmake",
              "lib/cmake/hearsay/hearsayConfigVersion.cmake"):
        check(os.path.exists(os.path.join(prefix, f)), "installed %s" % f)
    check(os.path.realpath(os.path.join(lib, "libhearsay.so")).endswith(
        "libhearsay.so." + cache("CMAKE_PROJECT_VERSION")), "libhearsay.so -> the versioned file")
    r = sh("objdump", "-p", os.path.join(lib, "libhearsay.so.0"))
    check("SONAME               libhearsay.so.0" in r.stdout, "soname libhearsay.so.0")
    r = sh("nm", "-D", "--defined-only", os.path.join(lib, "libhearsay.so.0"))
    exported = {l.split()[-1].split("@")[0] for l in r.stdout.splitlines() if " T " in l}
    declared = public_functions(prefix)
    check(exported == declared, "the library exports exactly the %d public functions (extra: %s, "
          "missing: %s)" % (len(declared), sorted(exported - declared)[:5],
                            sorted(declared - exported)[:5]))
    for h in ("hearsay.h", "error.h"):
        text = open(os.path.join(prefix, "include", "hearsay", h)).read()
        incs = re.findall(r"#include\s*[<\"]([^>\"]+)", text)
        check(all(i.startswith("hearsay/") or i in ("stdbool.h", "stddef.h", "stdint.h")
                  for i in incs), "%s includes only the C library and hearsay/ (%s)" % (h, incs))


def build_examples(prefix, work):
    """The examples built three ways; returns the binaries' directories."""
    san = "-fsanitize=address,undefined -fno-omit-frame-pointer" \
        if cache("HS_SANITIZE") == "ON" else ""
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(prefix, "lib", "pkgconfig"))
    r = sh("pkg-config", "--cflags", "--libs", "hearsay", env=env)
    check(r.returncode == 0 and "-lhearsay" in r.stdout and prefix in r.stdout,
          "pkg-config --cflags --libs hearsay: %s" % r.stdout.strip())
    viapc = os.path.join(work, "pkgconfig")
    shutil.copytree(EXAMPLES, viapc)
    r = sh("make", "-C", viapc, "CFLAGS=-O2 -Wall -Wextra -Werror " + san, env=env)
    check(r.returncode == 0, "make (pkg-config) built the examples%s" % (r.stderr and ": " +
                                                                        r.stderr[-400:]))
    viacm = os.path.join(work, "cmake")
    r = sh(cache("CMAKE_COMMAND"), "-S", EXAMPLES, "-B", viacm, "-DCMAKE_PREFIX_PATH=" + prefix,
           "-DCMAKE_C_FLAGS=-Wall -Wextra -Werror " + san)
    if r.returncode == 0:
        r = sh(cache("CMAKE_COMMAND"), "--build", viacm)
    check(r.returncode == 0, "find_package(hearsay) built the examples%s" % (
        r.stderr and ": " + r.stderr[-400:]))
    # Statically: libhearsay.a, its dependencies (hearsay.pc's Requires.private and
    # Libs.private) shared, as a program that bundles only libhearsay links it.
    r = sh("pkg-config", "--print-requires-private", "hearsay", env=env)
    deps = r.stdout.split()
    r = sh("pkg-config", "--libs", *deps, env=env)
    libs = r.stdout.split() + ["-lleveldb", "-lpthread", "-lm"]
    static = os.path.join(work, "state-watch-static")
    r = sh("cc", *san.split(), "-I" + os.path.join(prefix, "include"),
           os.path.join(EXAMPLES, "state-watch.c"), os.path.join(prefix, "lib", "libhearsay.a"),
           *libs, "-lstdc++", "-o", static)
    check(r.returncode == 0, "state-watch links against libhearsay.a%s" % (
        r.stderr and ": " + r.stderr[-400:]))
    r = sh("ldd", static)
    check("libhearsay" not in r.stdout, "the static build needs no libhearsay.so")
    r = sh(static, "-datadir=" + os.path.join(work, "unused"), "-listne=127.0.0.1:1")
    check(r.returncode == 1 and "listne" in r.stderr and "listen" in r.stderr,
          "and runs: a misspelt key is named, with the key meant (%s)" % r.stderr.strip())
    return viapc, viacm


STARTED = []  # every example started, killed at the end whatever happened


class Example:
    """One example program, its stdout read line by line."""

    def __init__(self, path, datadir, args, env):
        os.makedirs(datadir, exist_ok=True)
        self.datadir = datadir
        self.log = open(os.path.join(datadir, "stderr"), "wb")
        self.proc = subprocess.Popen([path, "-datadir=" + datadir] + args, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.log, env=env)
        self.lines = []
        self.partial = b""
        STARTED.append(self)

    def read_until(self, pred, timeout, what):
        end = time.time() + timeout
        while time.time() < end:
            for l in self.lines:
                if pred(l):
                    return l
            # Raw reads split here: a buffered readline could hold a second line that select
            # would then never report.
            r, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                *done, self.partial = (self.partial + chunk).split(b"\n")
                self.lines += [l.decode().strip() for l in done]
        fail("timed out waiting for %s (got %s)" % (what, self.lines[-5:]))

    def send(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def rpc(self, method):
        r = sh(os.path.join(BIN, "hearsay-cli"), "-datadir=" + self.datadir, *method.split())
        return r.stdout.strip()

    def stop(self, how="stdin"):
        if how == "stdin":
            self.proc.stdin.close()
        else:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.log.close()
        return rc


def header(i):
    return ("%02x" % i) * 80


def body(net):
    try:
        scenario(net)
    finally:
        for e in STARTED:
            if e.proc.poll() is None:
                e.proc.kill()
                e.proc.wait()


def scenario(net):
    prefix = os.path.join(net.root, "prefix")
    check_install(prefix)
    viapc, viacm = build_examples(prefix, os.path.join(net.root, "examples"))
    env = dict(os.environ, LD_LIBRARY_PATH=os.path.join(prefix, "lib"))
    base = ["-network=" + net.network, "-loglevel=warn"]

    # The relay, with its RPC on (server=1) only so the test can read its id.
    r1 = Example(os.path.join(viapc, "block-relay"), os.path.join(net.root, "relay1"),
                 base + ["-listen=127.60.0.1:%d" % net.port, "-server=1", "-rpcport=0"], env)
    wait_until(lambda: len(r1.rpc("getnetworkinfo")) > 0, 20, "the relay to start")
    relay_id = json.loads(r1.rpc("getnetworkinfo"))["id"]
    signers = "-topicsigners=blocks:" + relay_id
    d = [net.add([signers, "-addnode=127.60.0.1:%d" % net.port]).start()]
    for i in range(1, 4):
        d.append(net.add([signers, "-addnode=" + d[i - 1].addr, "-addnode=" + d[0].addr]).start())
    wait_until(lambda: all(len(n.peers()) >= 2 for n in d), 30, "the daemons to connect")

    # Valid headers reach every daemon; a malformed one is refused before publishing.
    ids = []
    for i in range(3):
        r1.send(header(i + 1))
        line = r1.read_until(lambda l: l.startswith("published ") and
                             l.split()[1] not in ids, 10, "header %d published" % i)
        ids.append(line.split()[1])
    r1.send("00" * 79)
    r1.read_until(lambda l: l.startswith("refused: 79 bytes"), 10, "the malformed header refused")
    # A malformed header from the network: the relay's validator rejects it, so it is never
    # delivered, and the peer that relayed it to the relay is charged (a network-wide rule).
    # (The daemons refuse to publish on blocks with a key topicsigners does not list, so a
    # fifth daemon without that policy, connected to the relay alone, sends it.)
    x = net.add(["-addnode=127.60.0.1:%d" % net.port]).start()
    x_id = x.id()
    wait_until(lambda: any(p["id"] == x_id and p["active"]
                           for p in json.loads(r1.rpc("getpeerinfo"))), 20,
               "the fifth daemon to reach the relay")
    bad = x.rpc("publishhex", "blocks", "00" * 79)["id"]
    wait_until(lambda: any(e["kind"] == "rejected" for e in
                           json.loads(r1.rpc("getscore " + x_id) or "{}").get("events", [])),
               10, "the relay's validator to reject the malformed header")
    check(not any(bad in l for l in r1.lines), "the rejected header was never delivered")
    check(True, "the relay's validator rejected a malformed header from the network, "
          "charging the daemon that relayed it")
    check(x.stop() == 0, "the fifth daemon stopped cleanly")
    for n in d:
        wait_until(lambda: all(n.rpc("getrumor", i)["data_hex"] == header(k + 1)
                               for k, i in enumerate(ids)), 20,
                   "the relay's headers at daemon %d" % n.index)
    check(True, "the relay's 3 headers reached all 4 daemons")

    # A relay whose key is not a listed signer: its header stops at the first hop.
    r2 = Example(os.path.join(viacm, "block-relay"), os.path.join(net.root, "relay2"),
                 base + ["-listen=127.61.0.1:%d" % net.port, "-connect=" + d[0].addr,
                         "-server=1", "-rpcport=0"], env)
    wait_until(lambda: any(p["active"] for p in json.loads(r2.rpc("getpeerinfo"))), 20,
               "the second relay's session to be up")
    r2.send(header(9))
    forged = r2.read_until(lambda l: l.startswith("published "), 10, "the forged header").split()[1]
    wait_until(lambda: d[0].rpc("getvalidationinfo")["policy_dropped"] >= 1, 10,
               "the first hop to drop the unlisted signer's header")
    time.sleep(1)
    for n in d:
        try:
            n.rpc("getrumor", forged)
            fail("daemon %d took the unlisted signer's header" % n.index)
        except framework.RpcError:
            pass
    check(True, "the unlisted signer's header was refused at the first hop and reached no daemon")

    # The state watcher (CMake build) prints every daemon's height.
    w = Example(os.path.join(viacm, "state-watch"), os.path.join(net.root, "watch"),
                base + ["-listen=127.62.0.1:%d" % net.port, "-connect=" + d[3].addr], env)
    w.read_until(lambda l: l == "watching", 10, "the watcher to start")
    wait_until(lambda: len(d[3].peers()) >= 3, 20, "the watcher to connect")
    for i, n in enumerate(d):
        n.rpc("setstate", "height", str(100 + i))
    for i, n in enumerate(d):
        want = "%s height %d" % (n.id(), 100 + i)
        w.read_until(lambda l: l == want, 20, "the watcher to print daemon %d's height" % i)
    check(True, "the watcher printed all 4 heights")
    d[2].rpc("setstate", "height", "200")
    w.read_until(lambda l: l == "%s height 200" % d[2].id(), 20, "a changed height")
    check(True, "and a change")
    check(w.stop("signal") == 0, "the watcher stops on SIGTERM, exit 0")
    check(r2.stop() == 0 and r1.stop() == 0, "the relays stop at the end of their input, exit 0")


run("embed", body)
