"""A small functional-test framework: real hearsayd processes on loopback addresses.

Each node listens on its own 127.X.0.1 address (X differs per node, so every node is its own
/16 network group) and a port derived from the test's process id, so tests can run side by
side. Nodes are driven through hearsay-cli, exactly as an operator would.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("HS_BIN_DIR") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "bin")


def fail(msg):
    print("FAIL: " + msg, flush=True)
    raise SystemExit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok   " + msg, flush=True)


def wait_until(pred, timeout=20.0, what="condition"):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if pred():
                return True
        except Exception:
            pass
        time.sleep(0.05)
    fail("timed out waiting for " + what)


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message


class Node:
    def __init__(self, net, index, args=()):
        self.net = net
        self.index = index
        self.datadir = os.path.join(net.root, "node%d" % index)
        os.makedirs(self.datadir, exist_ok=True)
        self.ip = "127.%d.0.1" % (10 + index)
        self.port = net.port
        self.addr = "%s:%d" % (self.ip, self.port)
        # JSON-RPC over HTTP on the node's own loopback address, at a port of its own (tests
        # use net.port + 1..3 for other things, and a test may move a node to ::1).
        self.rpcport = net.port + 5000 + index
        self.args = list(args)
        self.proc = None
        self.log = None

    def start(self, extra=(), wait=True, env=None):
        args = [os.path.join(BIN, "hearsayd"), "-datadir=" + self.datadir,
                "-listen=" + self.addr, "-network=" + self.net.network,
                "-loglevel=debug", "-rpcbind=" + self.ip,
                "-rpcport=%d" % self.rpcport] + self.args + list(extra)
        self.log = open(os.path.join(self.datadir, "log"), "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log, env=env)
        if wait:
            wait_until(lambda: self.rpc("uptime") is not None, 20,
                       "node %d to answer RPC" % self.index)
        return self

    def rpc_raw(self, method, *params, fmt=None):
        cmd = [os.path.join(BIN, "hearsay-cli"), "-datadir=" + self.datadir]
        if fmt:
            cmd.append("-format=" + fmt)
        cmd += [method] + [str(p) for p in params]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30)

    def rpc(self, method, *params):
        r = self.rpc_raw(method, *params)
        if r.returncode != 0:
            err = r.stderr.strip()
            if err.startswith("error "):
                code, _, msg = err[6:].partition(": ")
                raise RpcError(int(code), msg)
            raise RpcError(None, err)
        return json.loads(r.stdout) if r.stdout.strip() else None

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                fail("node %d did not stop within 15 s of SIGTERM" % self.index)
        rc = self.proc.returncode if self.proc else 0
        self.proc = None
        if self.log:
            self.log.close()
        return rc

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None
        if self.log:
            self.log.close()

    def id(self):
        return self.rpc("getnetworkinfo")["id"]

    def peers(self):
        return [p for p in self.rpc("getpeerinfo") if p["active"]]

    def logtext(self):
        with open(os.path.join(self.datadir, "log"), "rb") as f:
            return f.read().decode(errors="replace")


class Network:
    def __init__(self, name, network="ftest"):
        self.name = name
        self.network = network
        self.root = tempfile.mkdtemp(prefix="hs-%s-" % name)
        self.port = 20000 + (os.getpid() * 7) % 30000
        self.nodes = []

    def add(self, args=()):
        n = Node(self, len(self.nodes), args)
        self.nodes.append(n)
        return n

    def stop_all(self):
        for n in self.nodes:
            try:
                n.stop()
            except SystemExit:
                raise
            except Exception:
                n.kill9()

    def cleanup(self, ok):
        self.stop_all()
        if ok:
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            print("logs kept in " + self.root, flush=True)


def run(name, body):
    """Runs body(net) and cleans up; a failure keeps the logs and exits non-zero."""
    net = Network(name)
    ok = False
    try:
        body(net)
        ok = True
    finally:
        net.cleanup(ok)
    print("PASS " + name, flush=True)
    sys.exit(0)
