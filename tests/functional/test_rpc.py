"""Bad RPC parameters get a JSON-RPC error whose message names the problem; hearsay-cli
exits non-zero with it. Good calls work, including the text format and subscribe."""
import os
import select
import subprocess
import time

from framework import BIN, RpcError, check, run, wait_until

BAD = [
    (("publish",), -32602, "TOPIC"),
    (("publish", "bad topic", "x"), -32602, "topic"),
    (("getrumor", "zz"), -32602, "rumor id"),
    (("getrumor", "00" * 32), -32002, "not found"),
    (("setban", "not-an-address", "add"), -32602, "IP address"),
    (("setban", "127.0.0.9", "frobnicate"), -32602, "add or remove"),
    (("setban", "127.0.0.9", "add", "-5"), -32602, "bantime"),
    (("setban", "127.0.0.9", "remove"), -30, "not banned"),
    (("addnode", "1.2.3.4:5", "sideways"), -32602, "add, remove or onetry"),
    (("addnode", "1.2.3.4:5", "remove"), -24, "not been added"),
    (("getnodeaddresses", "many"), -32602, "count"),
    (("disconnectnode", "10.0.0.1:1"), -29, "not found"),
    (("getscore", "abc"), -32602, "node id"),
    (("setstate", "a key", "v"), -32602, "invalid key"),
    (("getstate", "00" * 32, "missing"), -32002, "no entry"),
    (("getpeerinfo", "extra"), -32602, "no parameters"),
    (("nosuchmethod",), -32601, "method not found"),
]


def body(net):
    metrics = "127.0.0.1:%d" % (net.port + 1)
    a = net.add(["-metrics=" + metrics]).start()
    for args, code, words in BAD:
        r = a.rpc_raw(*args)
        ok = (r.returncode != 0 and r.stderr.startswith("error %d:" % code) and
              words in r.stderr)
        check(ok, "%s -> error %d naming '%s'" % (" ".join(args), code, words))
    # A request that is not JSON, and one before auth, on a raw socket.
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(os.path.join(a.datadir, "rpc.sock"))
    s.sendall(b'{"jsonrpc":"2.0","id":1,"method":"uptime","params":[]}\n')
    reply = s.makefile().readline()
    check('"code":-32001' in reply, "a request without the cookie is refused (-32001)")
    s.close()
    # Good calls.
    rid = a.rpc("publish", "t", "payload")["id"]
    check(a.rpc("getrumor", rid)["data"] == "payload", "publish then getrumor")
    text = a.rpc_raw("getnetworkinfo", fmt="text")
    check(text.returncode == 0 and "network: ftest" in text.stdout, "-format=text")
    sub = subprocess.Popen([os.path.join(BIN, "hearsay-cli"), "-datadir=" + a.datadir,
                            "subscribe", "t"], stdout=subprocess.PIPE, text=True)
    first = sub.stdout.readline()
    check('"subscribed"' in first or "subscribed" in first, "subscribe acknowledges")
    time.sleep(0.2)
    a.rpc("publish", "other", "not for the subscriber")
    a.rpc("publish", "t", "for the subscriber")
    lines = []
    deadline = time.time() + 10
    while time.time() < deadline and not any("for the subscriber" in l for l in lines):
        ready, _, _ = select.select([sub.stdout], [], [], 0.5)
        if ready:
            lines.append(sub.stdout.readline())
    check(any("for the subscriber" in l for l in lines), "the subscriber sees its rumor")
    check(not any("not for the subscriber" in l for l in lines), "subscribe filters by topic")
    sub.terminate()
    sub.wait()
    # setban takes what listbanned prints: IPv4, IPv6 (the /64), and network groups.
    for target in ("127.0.0.9", "::1", "[2001:db8:1:2::5]", "10.50.0.0/16", "2001:db8::/32"):
        a.rpc("setban", target, "add")
    printed = sorted(b.get("address") or b.get("network") for b in a.rpc("listbanned"))
    check(printed == sorted(["127.0.0.9", "::/64", "2001:db8:1:2::/64", "10.50.0.0/16",
                             "2001:db8::/32"]), "listbanned prints each ban: %s" % printed)
    for target in printed:
        a.rpc("setban", target, "remove")
    check(a.rpc("listbanned") == [], "every ban is removed by the form listbanned printed")
    import urllib.request
    text = urllib.request.urlopen("http://%s/metrics" % metrics, timeout=10).read().decode()
    check("hearsay_rumors_published_total 3" in text and "hearsay_peers" in text,
          "Prometheus metrics count the 3 published rumors")
    check(a.stop() == 0, "the node stopped cleanly")


run("rpc", body)
