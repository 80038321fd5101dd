"""A direct client for hearsayd's JSON-RPC socket, shared by the demo, the benchmarks and the
functional tests: one JSON object per line, cookie authentication first (docs/RPC.md)."""
import json
import os
import socket
import time


class RpcError(RuntimeError):
    pass


class Client:
    def __init__(self, datadir, rpcsocket=None):
        with open(os.path.join(datadir, ".cookie")) as f:
            cookie = f.read().strip()
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(rpcsocket or os.path.join(datadir, "rpc.sock"))
        self.buf = b""
        self.next_id = 0
        self.call("auth", cookie)

    def send(self, method, *params):
        self.next_id += 1
        req = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": list(params)}
        self.sock.sendall((json.dumps(req) + "\n").encode())

    def read_buffered(self):
        """Reads what the socket has into the buffer; False when the node closed it."""
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
        """Sends a request and returns its result; notifications in between are dropped."""
        self.send(method, *params)
        while True:
            msg = self.line()
            if msg.get("id") == self.next_id:
                if msg.get("error"):
                    raise RpcError(msg["error"]["message"])
                return msg["result"]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


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
