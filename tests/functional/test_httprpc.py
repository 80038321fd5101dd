"""JSON-RPC over HTTP (docs/RPC.md): cookie and rpcauth users over Python's http.client, refusals
(wrong password, no auth: 401; a body over the limit: 413 with a JSON-RPC error; malformed
JSON: -32700 with id null), the connection limit (a call beyond it is refused at once, the Unix
socket still answers, and idle connections are dropped after rpcservertimeout), a non-loopback
rpcbind refused at start, the new methods (ping, getconnectioncount, help METHOD, publishhex
round trip to a subscriber on another node, id prefixes, getstate self) and hearsay-cli's
bitcoin-cli habits (-stdin, the not-running message, METHOD --help, a subscription that ends
with the node)."""
import base64
import hmac
import http.client
import json
import os
import select
import socket
import stat
import subprocess
import sys
import time

from framework import BIN, check, run, wait_until

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "scripts"))
import hearsay_rpc  # noqa: E402

CLI = os.path.join(BIN, "hearsay-cli")
SALT = "5e1f0c0ffee0d15ea5e0123456789abc"
PASSWORD = "correct horse battery staple"
AUTH = "alice:%s$%s" % (SALT, hmac.new(SALT.encode(), PASSWORD.encode(), "SHA256").hexdigest())
BODY_MAX = 1024 * 1024
CONNECTIONS_MAX = 32


def post(node, body, user=None, password=None, headers=None):
    """POSTs body to the node's HTTP RPC; (status, decoded JSON or None)."""
    conn = http.client.HTTPConnection(node.ip, node.rpcport, timeout=15)
    h = {"Content-Type": "application/json"}
    if user is not None:
        h["Authorization"] = "Basic " + base64.b64encode(
            ("%s:%s" % (user, password)).encode()).decode()
    h.update(headers or {})
    conn.request("POST", "/", body=body, headers=h)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, (json.loads(data) if data.strip() else None)


def cookie_of(node):
    return hearsay_rpc.read_cookie(node.datadir).partition(":")[::2]


def cli(node, *args, stdin=None, timeout=30):
    return subprocess.run([CLI, "-datadir=" + node.datadir] + list(args), input=stdin,
                          capture_output=True, text=True, timeout=timeout)


def check_auth(a):
    user, secret = cookie_of(a)
    check(user == "__cookie__" and len(secret) == 64, "the cookie is __cookie__:64 hex digits")
    mode = stat.S_IMODE(os.stat(os.path.join(a.datadir, ".cookie")).st_mode)
    check(mode == 0o600, "the cookie file is mode 0600 (%o)" % mode)
    req = json.dumps({"jsonrpc": "2.0", "id": 7, "method": "ping", "params": []})
    status, reply = post(a, req, user, secret)
    check(status == 200 and reply == {"jsonrpc": "2.0", "id": 7, "result": None},
          "ping over HTTP with the cookie (urllib-free http.client): %s" % reply)
    status, reply = post(a, req, "alice", PASSWORD)
    check(status == 200 and reply["result"] is None, "ping as the rpcauth user alice")
    status, reply = post(a, req, "alice", PASSWORD + "x")
    check(status == 401 and reply["error"]["code"] == -32001,
          "a wrong password is refused with 401 and a JSON-RPC error")
    status, reply = post(a, req, "mallory", PASSWORD)
    check(status == 401, "an unknown user is refused with 401")
    status, reply = post(a, req)
    check(status == 401, "no Authorization header is refused with 401")
    status, reply = post(a, req, user, secret[:-1] + ("0" if secret[-1] != "0" else "1"))
    check(status == 401, "a cookie off by one digit is refused with 401")
    # urllib, as a program would use it, with the cookie.
    import urllib.request
    rq = urllib.request.Request("http://%s:%d/" % (a.ip, a.rpcport), data=req.encode(),
                                headers={"Authorization": "Basic " + base64.b64encode(
                                    ("%s:%s" % (user, secret)).encode()).decode()})
    with urllib.request.urlopen(rq, timeout=10) as r:
        check(json.loads(r.read())["id"] == 7, "urllib.request works with the cookie")


def check_limits(a):
    user, secret = cookie_of(a)
    big = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "publish",
                      "params": ["t", "x" * (BODY_MAX + 10)]})
    status, reply = post(a, big, user, secret)
    check(status == 413 and reply["id"] is None and reply["error"]["code"] == -32600 and
          "limit" in reply["error"]["message"],
          "a body over %d bytes gets 413 with a JSON-RPC error" % BODY_MAX)
    status, reply = post(a, b"{not json", user, secret)
    check(status == 200 and reply["id"] is None and reply["error"]["code"] == -32700,
          "malformed JSON gets -32700 with id null")
    batch = [{"jsonrpc": "2.0", "id": 1, "method": "ping"},
             {"jsonrpc": "2.0", "id": 2, "method": "getconnectioncount"},
             {"jsonrpc": "2.0", "id": 3, "method": "nosuchmethod"}]
    status, reply = post(a, json.dumps(batch), user, secret)
    check(status == 200 and [r["id"] for r in reply] == [1, 2, 3] and
          reply[2]["error"]["code"] == -32601, "a batch gets one reply per request, in order")
    status, reply = post(a, json.dumps({"jsonrpc": "2.0", "method": "ping"}), user, secret)
    check(status == 204 and reply is None, "a notification (no id) gets 204 and no body")
    # The Python client raises an id-null reply on the Unix socket too, and never hangs.
    c = hearsay_rpc.Client(a.datadir, timeout=10)
    c.sock.sendall(b"{broken\n")
    try:
        c.call("ping")
        check(False, "the client raises the id-null parse error")
    except hearsay_rpc.RpcError as e:
        check(e.code == -32700, "the Python client raises the id-null parse error (-32700)")
    c.close()
    h = hearsay_rpc.HttpClient(a.ip, a.rpcport, datadir=a.datadir, timeout=10)
    check(h.batch([("ping",), ("uptime",)])[0] is None, "HttpClient.batch")
    try:
        hearsay_rpc.HttpClient(a.ip, a.rpcport, user="alice", password="no").call("ping")
        check(False, "HttpClient raises 401")
    except hearsay_rpc.HttpError as e:
        check(e.status == 401, "HttpClient raises HttpError 401 for a wrong password")


def check_connection_limit(a):
    """Open the limit's worth of idle connections: a real HTTP call beyond it is refused at
    once (accepted and closed: no hang), the Unix socket still answers, getrpcinfo counts the
    refusal, and after rpcservertimeout (3 s here) the idle ones are gone and HTTP works."""
    idle = []
    for _ in range(CONNECTIONS_MAX):
        s = socket.create_connection((a.ip, a.rpcport), timeout=5)
        idle.append(s)
    wait_until(lambda: a.rpc("getrpcinfo")["http"]["connections"] >= CONNECTIONS_MAX, 10,
               "the idle connections to be open")
    t0 = time.time()
    refused = False
    try:
        hearsay_rpc.HttpClient(a.ip, a.rpcport, datadir=a.datadir, timeout=10).call("ping")
    except (ConnectionError, http.client.HTTPException, OSError):
        refused = True
    took = time.time() - t0
    check(refused and took < 8, "a call beyond %d idle connections is refused at once (%.1f s)"
          % (CONNECTIONS_MAX, took))
    check(a.rpc("ping") is None, "the Unix socket still answers meanwhile")
    check(a.rpc("getrpcinfo")["http"]["refused"] >= 1, "getrpcinfo counts the refusal")
    # Slow clients: the idle connections are closed after rpcservertimeout.
    for s in idle:
        s.settimeout(10)
    closed = 0
    for s in idle:
        try:
            closed += s.recv(1) == b""
        except OSError:
            closed += 1
        s.close()
    check(closed == CONNECTIONS_MAX, "every idle connection was closed by the node (%d)" % closed)
    h = hearsay_rpc.HttpClient(a.ip, a.rpcport, datadir=a.datadir, timeout=10)
    check(h.call("ping") is None, "and then an HTTP call succeeds again")


def check_methods(a, b):
    h = hearsay_rpc.HttpClient(a.ip, a.rpcport, datadir=a.datadir, timeout=10)
    check(h.call("getconnectioncount") == 1, "getconnectioncount: 1 session")
    doc = h.call("help", "publish")
    check(doc["usage"] == "publish TOPIC DATA" and doc["description"] and
          "hearsay-cli publish" in doc["example"], "help publish: usage, description, example")
    names = [u.split()[0] for u in h.call("help")]
    undocumented = [n for n in names if h.call("help", n)["description"].startswith("(no")]
    check(not undocumented and len(names) >= 20,
          "every method (%d) has a description and an example" % len(names))
    # publishhex on A over HTTP; B's subscriber gets the same bytes.
    sub = hearsay_rpc.Client(b.datadir, timeout=15)
    sub.call("subscribe", "blobs")
    payload = bytes([0, 255, 16, 128, 10, 13, 0x7f]) + os.urandom(32)
    rid = h.call("publishhex", "blobs", payload.hex())["id"]
    got = None
    for note in sub.notifications():
        if note["method"] == "rumor" and note["params"]["id"] == rid:
            got = note["params"]
            break
    sub.close()
    check(got and bytes.fromhex(got["data_hex"]) == payload and got["data"] is None,
          "publishhex on A: B's subscriber sees the same %d bytes as hex" % len(payload))
    for bad, words in (("0g", "offset 1"), ("abc", "odd number")):
        try:
            h.call("publishhex", "blobs", bad)
            check(False, "invalid hex is refused")
        except hearsay_rpc.RpcError as e:
            check(e.code == -32602 and words in e.message,
                  "invalid hex %r: a clear error (%s)" % (bad, e.message))
    # Id prefixes.
    bid = b.id()
    score = h.call("getscore", bid[:8])
    check(score["id"] == bid, "getscore resolves B's id from an 8-digit prefix")
    aid = a.id()
    unknown = next(p for p in ("%04x" % i for i in range(65536))
                   if not aid.startswith(p) and not bid.startswith(p))
    try:
        h.call("getscore", unknown)
        check(False, "an unknown prefix is an error")
    except hearsay_rpc.RpcError as e:
        check("unknown node id prefix" in e.message, "an unknown prefix: %s" % e.message)
    both = os.path.commonprefix([aid, bid])
    if len(both) >= 4:  # rare: A's and B's ids share 4 digits
        try:
            h.call("getscore", both)
            check(False, "an ambiguous prefix is an error")
        except hearsay_rpc.RpcError as e:
            check("ambiguous" in e.message, "an ambiguous prefix: %s" % e.message)
    # getstate of our own keys without our id.
    h.call("setstate", "mood", "calm")
    check(h.call("getstate", "mood")["value"] == "calm", "getstate KEY reads our own entry")
    check(h.call("getstate", "self", "mood")["origin"] == aid, "getstate self KEY too")
    wait_until(lambda: b.rpc("getstate", aid[:10], "mood")["value"] == "calm", 15,
               "B to read A's entry by an id prefix")
    check(True, "B reads A's entry by a 10-digit id prefix")
    try:
        h.call("subscribe")
        check(False, "subscribe over HTTP is refused")
    except hearsay_rpc.RpcError as e:
        check("Unix socket" in e.message, "subscribe over HTTP says to use the Unix socket")


def check_cli(net, a, b):
    r = cli(a, "-stdin", "publish", stdin="from-stdin\nline two\n")
    check(r.returncode == 0, "hearsay-cli -stdin publish (topic and data from stdin)")
    rid = json.loads(r.stdout)["id"]
    check(a.rpc("getrumor", rid)["data"] == "line two", "-stdin: one argument per line")
    r = cli(a, "publish", "t", "--help")
    check(r.returncode == 0 and "publish TOPIC DATA" in r.stdout,
          "hearsay-cli publish t --help prints the method's help")
    r = cli(a, "-rpcport=%d" % a.rpcport, "-rpcconnect=" + a.ip, "getconnectioncount")
    check(r.returncode == 0 and r.stdout.strip() == "1", "hearsay-cli over HTTP (-rpcport)")
    r = cli(a, "-rpcport=%d" % a.rpcport, "-rpcconnect=" + a.ip, "-rpcuser=alice",
            "-rpcpassword=" + PASSWORD, "ping")
    check(r.returncode == 0, "hearsay-cli -rpcuser/-rpcpassword over HTTP")
    r = cli(a, "-rpcport=%d" % a.rpcport, "-rpcconnect=" + a.ip, "-rpcuser=alice",
            "-rpcpassword=wrong", "ping")
    check(r.returncode == 77 and "401" in r.stderr, "a wrong password: exit 77, 401 named")
    conf = os.path.join(net.root, "cli.conf")
    with open(conf, "w") as f:
        f.write("rpcuser=alice\nrpcpassword=%s\nrpcport=%d\nrpcconnect=%s\n" %
                (PASSWORD, a.rpcport, a.ip))
    r = cli(a, "-conf=" + conf, "ping")
    check(r.returncode == 0, "hearsay-cli reads rpcuser, rpcpassword, rpcport from -conf")
    r = subprocess.run([CLI, "-rpcauth=bob"], capture_output=True, text=True, timeout=10)
    line = next(l for l in r.stdout.splitlines() if l.startswith("rpcauth="))
    pw = r.stdout.strip().splitlines()[-1]
    u, _, rest = line[len("rpcauth="):].partition(":")
    salt, _, mac = rest.partition("$")
    check(u == "bob" and hmac.new(salt.encode(), pw.encode(), "SHA256").hexdigest() == mac,
          "hearsay-cli -rpcauth=bob prints a line Python's hmac verifies")
    empty = os.path.join(net.root, "nonode")
    os.makedirs(empty)
    r = subprocess.run([CLI, "-datadir=" + empty, "ping"], capture_output=True, text=True,
                       timeout=10)
    check(r.returncode == 69 and "hearsayd is not running (no cookie at %s/.cookie)" % empty
          in r.stderr, "not running: %s" % r.stderr.strip())
    with open(os.path.join(empty, ".cookie"), "w") as f:
        f.write("__cookie__:00\n")
    r = subprocess.run([CLI, "-datadir=" + empty, "ping"], capture_output=True, text=True,
                       timeout=10)
    check(r.returncode == 69 and "hearsayd is not running (no socket at" in r.stderr,
          "a stale cookie but no socket: %s" % r.stderr.strip())
    # subscribe exits non-zero when the daemon goes away.
    sub = subprocess.Popen([CLI, "-datadir=" + b.datadir, "subscribe"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    ready, _, _ = select.select([sub.stdout], [], [], 10)
    check(ready and "subscribed" in sub.stdout.readline(), "hearsay-cli subscribe on B")
    check(b.stop() == 0, "B stopped cleanly")
    try:
        rc = sub.wait(timeout=15)
    except subprocess.TimeoutExpired:
        sub.kill()
        rc = None
    err = sub.stderr.read()
    check(rc == 1 and "closed the subscription" in err,
          "subscribe exits 1 with a message when hearsayd stops (%s)" % rc)
    check(not os.path.exists(os.path.join(b.datadir, ".cookie")), "the cookie is removed at stop")


def check_bind_refused(net):
    d = os.path.join(net.root, "remote")
    r = subprocess.run([os.path.join(BIN, "hearsayd"), "-datadir=" + d, "-listen=0",
                        "-rpcbind=0.0.0.0", "-rpcport=%d" % (net.port + 3)],
                       capture_output=True, text=True, timeout=20)
    check(r.returncode == 78 and "rpcallowip" in r.stderr,
          "a non-loopback rpcbind is refused at start without rpcallowip (78)")
    r = subprocess.run([os.path.join(BIN, "hearsayd"), "-datadir=" + d, "-listen=0",
                        "-rpcbind=127.0.0.1", "-rpcport=70000"],
                       capture_output=True, text=True, timeout=20)
    check(r.returncode == 64 and "rpcport" in r.stderr, "a bad rpcport is refused")


def body(net):
    a = net.add(["-rpcauth=" + AUTH, "-rpcservertimeout=3"])
    a.start()
    b = net.add(["-connect=" + a.addr]).start()
    wait_until(lambda: len(a.peers()) == 1 and len(b.peers()) == 1, 20, "A and B to connect")
    check_auth(a)
    check_limits(a)
    check_methods(a, b)
    check_connection_limit(a)
    check_bind_refused(net)
    check_cli(net, a, b)
    check(a.stop() == 0, "A stopped cleanly")
    check(not os.path.exists(os.path.join(a.datadir, ".cookie")), "A's cookie is removed")


run("httprpc", body)
