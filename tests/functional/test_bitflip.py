"""A bit flipped on the path is not proof against the sender.

Node b dials node a through a relay (a TCP proxy on its own loopback address). Once the session
is up and a rumor has flowed, the relay flips one bit of one transport frame: in its body (the
Poly1305 tag then fails) or in its 2-byte length prefix (which is not authenticated), in one
direction or the other. Each time the session must close, nobody may be banned or penalised
(either side could be the "sender"; anyone on the path could have flipped the bit), and b's
retries must bring the session back, carrying a rumor published afterwards."""
import re
import signal
import socket
import threading

from framework import check, fail, run, wait_until

RELAY_IP = "127.60.0.1"
TO_LISTENER, TO_DIALER = "dialer->listener", "listener->dialer"
# Handshake messages in each direction before the first transport frame (Noise XX: the
# dialer sends messages 1 and 3, the listener message 2).
HANDSHAKE_FRAMES = {TO_LISTENER: 2, TO_DIALER: 1}


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


class Relay:
    """Forwards whole frames (u16 LE length, then the body) both ways, for every connection it
    accepts; arm() flips one bit of the next transport frame in one direction."""

    def __init__(self, listen_port, upstream):
        self.upstream = upstream
        self.lock = threading.Lock()
        self.armed = None  # (connection, direction, "body" | "length")
        self.flips = []  # (connection number, direction, where, frame length before, after)
        self.conns = []  # one dict per accepted connection: {"closed": bool}
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((RELAY_IP, listen_port))
        self.server.listen(4)
        self.addr = "%s:%d" % (RELAY_IP, listen_port)
        self.stopping = False
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while not self.stopping:
            try:
                down, _ = self.server.accept()
            except OSError:
                return
            up = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                up.bind((RELAY_IP, 0))
                up.connect(self.upstream)
            except OSError:
                down.close()
                up.close()
                continue
            with self.lock:
                conn = {"n": len(self.conns), "closed": False, "socks": (down, up)}
                self.conns.append(conn)
            for src, dst, d in ((down, up, TO_LISTENER), (up, down, TO_DIALER)):
                threading.Thread(target=self.pump, args=(conn, src, dst, d), daemon=True).start()

    def live(self):
        """The one connection still open (None unless exactly one is)."""
        with self.lock:
            open_ = [c for c in self.conns if not c["closed"]]
        return open_[0] if len(open_) == 1 else None

    def arm(self, conn, direction, where):
        with self.lock:
            self.armed = (conn, direction, where)

    def maybe_flip(self, conn, direction, index, hdr, body):
        with self.lock:
            if (self.armed is None or self.armed[0] is not conn or
                    self.armed[1] != direction or index < HANDSHAKE_FRAMES[direction]):
                return hdr, body
            where = self.armed[2]
            self.armed = None
            n = hdr[0] | hdr[1] << 8
            if where == "body":
                b = bytearray(body)
                b[len(b) // 2] ^= 0x10  # a ciphertext byte: the tag no longer verifies
                body = bytes(b)
                after = n
            else:
                # Clear the lowest set bit: the receiver takes a shorter frame (or a length of
                # 0) at once instead of waiting for bytes that never come.
                after = n & (n - 1)
                hdr = bytes((after & 0xff, after >> 8))
            self.flips.append((conn["n"], direction, where, n, after))
            return hdr, body

    def pump(self, conn, src, dst, direction):
        index = 0
        try:
            while True:
                hdr = recv_exact(src, 2)
                if hdr is None:
                    break
                body = recv_exact(src, hdr[0] | hdr[1] << 8)
                if body is None:
                    break
                hdr, body = self.maybe_flip(conn, direction, index, hdr, body)
                dst.sendall(hdr + body)
                index += 1
        except OSError:
            pass
        with self.lock:
            conn["closed"] = True
        for s in conn["socks"]:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def stop(self):
        self.stopping = True
        self.server.close()
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            for s in c["socks"]:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


# The receiver's own close (the other side logs "peer left: ..." instead).
UNAUTH = re.compile(r"peer \d+ closing: (frame fails authentication|bad frame length)")


def session_up(a, b, b_id, a_id, relay):
    """One session between a and b, and it runs through the relay."""
    at_a = [p for p in a.peers() if p["id"] == b_id]
    at_b = [p for p in b.peers() if p["id"] == a_id]
    return (len(at_a) == 1 and at_a[0]["addr"].startswith(RELAY_IP + ":") and
            len(at_b) == 1 and at_b[0]["addr"] == relay.addr and relay.live() is not None)


def no_penalty(node, other_id, who):
    check(node.rpc("listbanned") == [], "%s bans nobody" % who)
    s = node.rpc("getscore", other_id)
    penalties = [e["kind"] for e in s["events"] if e["points"] < 0]
    check(not s["banned"] and not penalties and s["score"] >= 0,
          "%s holds no penalty against its peer (score %.2f, events %s)" %
          (who, s["score"], sorted({e["kind"] for e in s["events"]})))


def flow(src, dst, text):
    rid = src.rpc("publish", "news", text)["id"]
    wait_until(lambda: dst.rpc("getrumor", rid)["data"] == text, 15,
               "the rumor %r to arrive" % text)
    check(True, "a rumor published at node %d arrived at node %d: %s" %
          (src.index, dst.index, text))


def body(net):
    # A watchdog: a stuck run fails (and cleans up) instead of leaving processes behind.
    signal.signal(signal.SIGALRM, lambda *_: fail("the test ran over 55 s"))
    signal.alarm(55)
    # Neither node dials from its address book (-outbound=0): b's only way to a is its
    # -addnode, through the relay, so every reconnection crosses the relay too.
    a = net.add(["-outbound=0"]).start()
    relay = Relay(net.port + 1, (a.ip, a.port))
    try:
        b = net.add(["-outbound=0", "-addnode=" + relay.addr]).start()
        a_id, b_id = a.id(), b.id()
        wait_until(lambda: session_up(a, b, b_id, a_id, relay), 20,
                   "b's session to a via the relay")
        check(len(relay.conns) == 1, "b reached a through the relay")
        flow(b, a, "before any flip")
        cases = [(TO_LISTENER, "body"), (TO_LISTENER, "length"),
                 (TO_DIALER, "body"), (TO_DIALER, "length")]
        unauth = [0, 0]
        for i, (direction, where) in enumerate(cases):
            conn = relay.live()
            relay.arm(conn, direction, where)
            sender = b if direction == TO_LISTENER else a
            sender.rpc("publish", "news", "carries the flip %d" % i)
            wait_until(lambda: conn["closed"], 15, "the session to close after the flip")
            f = relay.flips[-1]
            check(f[0] == conn["n"] and f[1:3] == (direction, where),
                  "flip %d (%s, %s: length %d -> %d) closed the session" %
                  (i, direction, where, f[3], f[4]))
            receiver = a if direction == TO_LISTENER else b
            closes = len(UNAUTH.findall(receiver.logtext()))
            check(closes == unauth[receiver.index] + 1,
                  "the receiver, node %d, closed it for an unauthenticated frame" %
                  receiver.index)
            unauth[receiver.index] = closes
            no_penalty(a, b_id, "the listener")
            no_penalty(b, a_id, "the dialer")
            wait_until(lambda: session_up(a, b, b_id, a_id, relay), 20, "b to reconnect")
            check(True, "b reconnected (relay connection %d)" % (len(relay.conns) - 1))
            flow(b, a, "after flip %d" % i)
            flow(a, b, "back after flip %d" % i)
        no_penalty(a, b_id, "finally, the listener")
        no_penalty(b, a_id, "finally, the dialer")
        print("measured: %d flips, %d relay connections (1 + one reconnect per flip)" %
              (len(relay.flips), len(relay.conns)), flush=True)
        check(a.stop() == 0 and b.stop() == 0, "both nodes stopped cleanly")
    finally:
        relay.stop()
        signal.alarm(0)


run("bitflip", body)
