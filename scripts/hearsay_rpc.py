"""hearsay_rpc: a client for hearsayd's JSON-RPC (docs/RPC.md), standard library only.

Two transports, one interface (``call(method, *params)`` returns the result or raises
RpcError):

    from hearsay_rpc import Client, HttpClient, RpcError

    # The Unix socket: one JSON object per line, the cookie sent first as "auth".
    with Client("/var/lib/hearsay") as c:
        print(c.call("getnetworkinfo"))
        c.call("subscribe", "news")
        for note in c.notifications():      # {"method": "rumor", "params": {...}}
            ...

    # HTTP on loopback (rpcport, default 7071), HTTP Basic with the cookie or a user.
    h = HttpClient(port=7071, datadir="/var/lib/hearsay")           # DATADIR/.cookie
    h = HttpClient(port=7071, user="alice", password="...")          # an rpcauth= user
    h.call("publishhex", "blobs", "00ff")
    h.batch([("ping",), ("getconnectioncount",)])                    # results in order

Every call has a timeout (``timeout=`` seconds, default 30): a node that stops answering
raises TimeoutError (an OSError) instead of hanging. A reply with ``"id": null`` -- the
node could not parse the request -- is raised as RpcError, never waited past. RpcError has
``code`` (the JSON-RPC error code, or None) and ``message``; ``HttpError`` (a subclass) adds
``status`` for replies such as 401 (bad credentials) or 413 (body over the limit).

Used by the demo, the benchmarks and the functional tests; run as a script it makes one
call: ``python3 hearsay_rpc.py [-datadir=DIR] [-rpcport=PORT] METHOD [ARGS...]``.
"""
import base64
import http.client
import json
import os
import socket
import sys
import time

DEFAULT_RPCPORT = 7071
DEFAULT_TIMEOUT = 30.0

__all__ = ["Client", "HttpClient", "RpcError", "HttpError", "read_cookie", "wait_for",
           "catch_up", "DEFAULT_RPCPORT"]


class RpcError(RuntimeError):
    """A JSON-RPC error reply: code (int or None) and message."""

    def __init__(self, message, code=None):
        super().__init__(message)
        self.code = code
        self.message = message


class HttpError(RpcError):
    """An HTTP reply that is not 200 (or 204): status, and the JSON-RPC error if any."""

    def __init__(self, status, message, code=None):
        super().__init__("HTTP %d: %s" % (status, message), code)
        self.status = status


def read_cookie(datadir=None, cookiefile=None):
    """The "__cookie__:SECRET" line from DATADIR/.cookie (or cookiefile). FileNotFoundError
    when hearsayd is not running."""
    path = cookiefile or os.path.join(datadir, ".cookie")
    with open(path) as f:
        return f.read().strip()


def _raise_error(msg):
    err = msg.get("error")
    if isinstance(err, dict):
        raise RpcError(err.get("message", "error"), err.get("code"))
    raise RpcError(str(err))


class Client:
    """The Unix socket transport (DATADIR/rpc.sock unless rpcsocket is given)."""

    def __init__(self, datadir, rpcsocket=None, timeout=DEFAULT_TIMEOUT, cookiefile=None):
        cookie = read_cookie(datadir, cookiefile)
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        try:
            self.sock.connect(rpcsocket or os.path.join(datadir, "rpc.sock"))
        except OSError:
            self.sock.close()
            raise
        self.buf = b""
        self.next_id = 0
        self.call("auth", cookie)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, method, *params):
        self.next_id += 1
        req = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": list(params)}
        self.sock.sendall((json.dumps(req) + "\n").encode())

    def read_buffered(self):
        """Reads what the socket has into the buffer; False when the node closed it. Raises
        TimeoutError after the timeout."""
        chunk = self.sock.recv(65536)
        self.buf += chunk
        return bool(chunk)

    def messages(self):
        """The complete lines buffered so far, decoded."""
        out = []
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            out.append(json.loads(line))
        return out

    def line(self):
        while b"\n" not in self.buf:
            if not self.read_buffered():
                raise ConnectionError("the node closed the connection")
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, method, *params):
        """Sends a request and returns its result; notifications in between are dropped.
        A reply with id null (the node could not parse a request) is raised."""
        self.send(method, *params)
        deadline = time.monotonic() + self.timeout
        while True:
            if time.monotonic() > deadline:
                raise TimeoutError("no reply to %s within %g s" % (method, self.timeout))
            msg = self.line()
            if "id" in msg and msg["id"] is None:
                _raise_error(msg)
            if msg.get("id") == self.next_id:
                if msg.get("error"):
                    _raise_error(msg)
                return msg["result"]

    def notifications(self):
        """Yields notifications ({"method", "params"}) after subscribe, until the node closes
        the connection (ConnectionError). A quiet stream raises TimeoutError after the
        timeout; set client.sock.settimeout(None) to wait for ever."""
        while True:
            msg = self.line()
            if "method" in msg:
                yield msg

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class HttpClient:
    """The HTTP transport: POST to http://HOST:PORT/ with HTTP Basic auth, the cookie of
    datadir (or cookiefile) unless user and password are given."""

    def __init__(self, host="127.0.0.1", port=DEFAULT_RPCPORT, datadir=None, cookiefile=None,
                 user=None, password=None, timeout=DEFAULT_TIMEOUT):
        if user is None:
            if datadir is None and cookiefile is None:
                raise ValueError("HttpClient needs datadir, cookiefile, or user and password")
            user, _, password = read_cookie(datadir, cookiefile).partition(":")
        token = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        self.auth = "Basic " + token
        self.host, self.port, self.timeout = host, port, timeout
        self.next_id = 0
        self.conn = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def post(self, body):
        """POSTs body (bytes) and returns (status, decoded JSON or None). One retry on a
        fresh connection when a kept-alive one was closed by the node."""
        headers = {"Authorization": self.auth, "Content-Type": "application/json"}
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port,
                                                       timeout=self.timeout)
            try:
                self.conn.request("POST", "/", body=body, headers=headers)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError,
                    ConnectionResetError):
                self.close()
                if attempt:
                    raise
        if resp.getheader("Connection", "").lower() == "close":
            self.close()
        payload = json.loads(data) if data.strip() else None
        return resp.status, payload

    def _checked(self, status, payload):
        if status in (200, 204):
            return payload
        err = payload.get("error") if isinstance(payload, dict) else None
        if isinstance(err, dict):
            raise HttpError(status, err.get("message", ""), err.get("code"))
        raise HttpError(status, "no JSON-RPC reply")

    def call(self, method, *params):
        self.next_id += 1
        req = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": list(params)}
        payload = self._checked(*self.post(json.dumps(req).encode()))
        if not isinstance(payload, dict):
            raise RpcError("a reply that is not one JSON-RPC object")
        if payload.get("error"):
            _raise_error(payload)
        return payload.get("result")

    def batch(self, calls):
        """calls: a list of (method, *params). Returns the results in order; the first error
        is raised."""
        reqs = []
        for method, *params in calls:
            self.next_id += 1
            reqs.append({"jsonrpc": "2.0", "id": self.next_id, "method": method,
                         "params": params})
        payload = self._checked(*self.post(json.dumps(reqs).encode()))
        if isinstance(payload, dict):
            _raise_error(payload)
        by_id = {m.get("id"): m for m in payload}
        out = []
        for r in reqs:
            m = by_id.get(r["id"])
            if m is None:
                raise RpcError("no reply for request %d" % r["id"])
            if m.get("error"):
                _raise_error(m)
            out.append(m.get("result"))
        return out

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def catch_up(client, topic="", cursor=None, count=100):
    """Pages listrumors (docs/RPC.md) from cursor (None: the oldest held) until the node holds
    nothing newer, yielding each reply: rumors (oldest first), cursor, missed, reset, more.
    Keep the last reply's cursor (or the last handled rumor's) for next time; client is a
    Client or an HttpClient."""
    while True:
        reply = client.call("listrumors", topic, cursor or "", count)
        yield reply
        cursor = reply["cursor"]
        if not reply["more"]:
            return


def wait_for(pred, timeout, what, who):
    """Polls pred every 50 ms until it holds; after timeout seconds exits with "WHO: timed out
    waiting for WHAT". A node still starting (no socket, no cookie, an RPC error) counts as not
    yet."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            if pred():
                return
        except (OSError, RuntimeError, ValueError):
            pass
        time.sleep(0.05)
    raise SystemExit("%s: timed out waiting for %s" % (who, what))


def main(argv):
    datadir = os.path.expanduser("~/.hearsay")
    port = None
    args = argv[1:]
    while args and args[0].startswith("-") and "=" in args[0]:
        key, _, value = args.pop(0).lstrip("-").partition("=")
        if key == "datadir":
            datadir = value
        elif key == "rpcport":
            port = int(value)
        else:
            sys.exit("hearsay_rpc: unknown option -%s" % key)
    if not args:
        sys.exit("usage: hearsay_rpc.py [-datadir=DIR] [-rpcport=PORT] METHOD [ARGS...]")
    try:
        if port:
            client = HttpClient(port=port, datadir=datadir)
        else:
            client = Client(datadir)
        print(json.dumps(client.call(args[0], *args[1:]), indent=2))
    except FileNotFoundError as e:
        sys.exit("hearsay_rpc: hearsayd is not running (no %s)" % e.filename)
    except RpcError as e:
        sys.exit("error %s: %s" % (e.code, e.message))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
