"""upnp=1 against a real gateway: miniupnpd (Debian's, nftables backend) in network namespaces
this test creates, and against fake gateways that answer garbage or never answer.

    lan namespace                gateway namespace                    ext namespace
    hearsayd A (upnp=1)  ---  miniupnpd, nftables NAT  ---  hearsayd B (connect=EXT:PORT)
    10.77.0.2            10.77.0.1          5.77.0.1            5.77.0.2

The three namespaces are joined only by veth pairs to each other, never to the host's network:
no packet of this test leaves them. miniupnpd refuses to forward for a private or reserved
external address (RFC 1918, the documentation ranges), so the "external" side uses 5.77.0.0/24,
which exists here only inside the gateway and ext namespaces. miniupnpd's rules go into an
nftables table of the gateway namespace (its own firewall, gone with the namespace); the host's
firewall is never touched.

It checks: A maps its port (upnpc -l from the lan, and the DNAT rule in the gateway's nftables
show it), advertises the external address in its signed record (getnetworkinfo localaddresses,
and B's address book after B connected through the mapping), renews a 4 s lease so the mapping
outlives it, and removes the mapping at stop, which stays quick. Then miniupnpd is replaced by
a Python responder: a search nobody answers, a gateway whose description is garbage, and one
that accepts the HTTP connection and never answers: each costs a log line, RPC stays
responsive, and a stop during the stall still ends within seconds.
"""
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

from framework import BIN, Node, check, fail, run, wait_until

LAN_GW, LAN_IP, EXT_GW, EXT_IP = "10.77.0.1", "10.77.0.2", "5.77.0.1", "5.77.0.2"
TAG = "hs%05d" % (os.getpid() % 100000)
NS = {k: TAG + k for k in ("gw", "lan", "ext")}


def sh(*args, ns=None, check_rc=True, timeout=20):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if check_rc and r.returncode != 0:
        fail("%s: exit %d: %s" % (" ".join(cmd), r.returncode, (r.stderr or r.stdout).strip()))
    return r


NFT_RULES = """
table inet miniupnpd {
  chain forward { type filter hook forward priority 0; policy drop;
                  ct state established,related accept; jump miniupnpd; }
  chain miniupnpd { }
  chain prerouting { type nat hook prerouting priority -100; policy accept;
                     jump prerouting_miniupnpd; }
  chain postrouting { type nat hook postrouting priority 100; policy accept;
                      jump postrouting_miniupnpd; }
  chain prerouting_miniupnpd { }
  chain postrouting_miniupnpd { }
}
"""


def make_namespaces():
    for ns in NS.values():
        sh("ip", "netns", "add", ns)
    for a, b, na, nb in (("gi", "li", "gw", "lan"), ("ge", "ei", "gw", "ext")):
        sh("ip", "link", "add", TAG + a, "type", "veth", "peer", "name", TAG + b)
        sh("ip", "link", "set", TAG + a, "netns", NS[na])
        sh("ip", "link", "set", TAG + b, "netns", NS[nb])
    for ns, dev, addr in (("gw", "gi", LAN_GW), ("gw", "ge", EXT_GW), ("lan", "li", LAN_IP),
                          ("ext", "ei", EXT_IP)):
        sh("ip", "addr", "add", addr + "/24", "dev", TAG + dev, ns=NS[ns])
        sh("ip", "link", "set", TAG + dev, "up", ns=NS[ns])
        sh("ip", "link", "set", "lo", "up", ns=NS[ns])
    sh("ip", "route", "add", "default", "via", LAN_GW, ns=NS["lan"])
    sh("sysctl", "-qw", "net.ipv4.ip_forward=1", ns=NS["gw"])
    r = subprocess.run(["ip", "netns", "exec", NS["gw"], "nft", "-f", "-"], input=NFT_RULES,
                       capture_output=True, text=True, timeout=20)
    if r.returncode != 0:
        fail("nft in the gateway namespace: " + r.stderr.strip())


def remove_namespaces():
    for ns in NS.values():
        subprocess.run(["ip", "netns", "del", ns], capture_output=True)


class NsNode(Node):
    """A hearsayd in a network namespace; RPC goes through its Unix socket, as usual."""

    def __init__(self, net, index, ns, ip, args=()):
        super().__init__(net, index, args)
        self.ns, self.ip = ns, ip
        self.addr = "%s:%d" % (ip, self.port)

    def start(self, extra=(), wait=True, env=None):
        args = ["ip", "netns", "exec", self.ns, os.path.join(BIN, "hearsayd"),
                "-datadir=" + self.datadir, "-listen=" + self.addr,
                "-network=" + self.net.network, "-loglevel=debug", "-rpcport=0"] + self.args + list(extra)
        self.log = open(os.path.join(self.datadir, "log"), "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=self.log, env=env)
        if wait:
            wait_until(lambda: self.rpc("uptime") is not None, 20,
                       "node %d to answer RPC" % self.index)
        return self

    def timed_stop(self):
        """SIGTERM; returns (exit code, seconds until the process was gone)."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            fail("node %d did not stop within 15 s" % self.index)
        took = time.monotonic() - t0
        self.proc = None
        self.log.close()
        return rc, took


def add(net, ns, ip, args=()):
    n = NsNode(net, len(net.nodes), ns, ip, args)
    net.nodes.append(n)
    return n


def upnp_list():
    return sh("upnpc", "-l", ns=NS["lan"], check_rc=False).stdout


def mapping_line(port):
    return "TCP %5d->%s:%-5d 'hearsay'" % (port, LAN_IP, port)


def nat_rules():
    return sh("nft", "list", "chain", "inet", "miniupnpd", "prerouting_miniupnpd",
              ns=NS["gw"]).stdout


def start_miniupnpd(root):
    conf = os.path.join(root, "miniupnpd.conf")
    with open(conf, "w") as f:
        f.write("\n".join([
            "ext_ifname=" + TAG + "ge", "listening_ip=" + TAG + "gi", "port=0",
            "enable_natpmp=no", "enable_upnp=yes", "secure_mode=yes", "system_uptime=no",
            "uuid=3b6a2d4e-8a1c-4b9e-9f00-0123456789ab",
            "upnp_table_name=miniupnpd", "upnp_nat_table_name=miniupnpd",
            "upnp_forward_chain=miniupnpd", "upnp_nat_chain=prerouting_miniupnpd",
            "upnp_nat_postrouting_chain=postrouting_miniupnpd",
            "allow 1024-65535 %s/24 1024-65535" % LAN_GW, "deny 0-65535 0.0.0.0/0 0-65535",
            ""]))
    log = open(os.path.join(root, "miniupnpd.log"), "wb")
    proc = subprocess.Popen(["ip", "netns", "exec", NS["gw"], "miniupnpd", "-f", conf, "-d",
                             "-P", os.path.join(root, "miniupnpd.pid")],
                            stdout=log, stderr=log)
    # Ready when it answers a search from the lan.
    wait_until(lambda: "Found valid IGD" in sh("upnpc", "-s", ns=NS["lan"],
                                               check_rc=False).stdout, 20,
               "miniupnpd to answer")
    return proc, log


def stop_process(proc):
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def real_gateway(net):
    mud, mudlog = start_miniupnpd(net.root)
    try:
        port = net.port
        a = add(net, NS["lan"], LAN_IP, ["-upnp=1", "-upnplease=4"]).start()
        mapped = "upnp: mapped %s:%d -> %s:%d (TCP, lease 4 s)" % (EXT_GW, port, LAN_IP, port)
        wait_until(lambda: mapped in a.logtext(), 20, "A's mapping")
        t_mapped = time.monotonic()
        check("upnp: found an Internet gateway at http://%s:" % LAN_GW in a.logtext(),
              "A logs the gateway it found")
        check(mapped in a.logtext(), "A logs: " + mapped)
        check(mapping_line(port) in upnp_list(), "upnpc -l on the lan lists the mapping")
        check("dnat ip to %s:%d" % (LAN_IP, port) in nat_rules(),
              "the gateway's nftables forward %s:%d to A" % (EXT_GW, port))
        ext = "%s:%d" % (EXT_GW, port)
        wait_until(lambda: a.rpc("getnetworkinfo")["localaddresses"][:1] == [ext], 10,
                   "the record to advertise the mapping")
        info = a.rpc("getnetworkinfo")
        check(info["localaddresses"] == [ext, a.addr],
              "A's signed record advertises %s first, then its LAN address" % ext)
        u = info["upnp"]
        check(u["status"] == "mapped" and u["external"] == ext and u["lease"] == 4 and
              u["internal"] == a.addr and u["gateway"].startswith("http://" + LAN_GW),
              "getnetworkinfo upnp: %s" % u)
        check("upnp: our record now advertises " + ext in a.logtext(),
              "A logs the address it now advertises")

        # A peer outside connects through the mapping and learns A's record from it.
        b = add(net, NS["ext"], EXT_IP, ["-connect=" + ext]).start()
        wait_until(lambda: any(p["inbound"] and p["addr"].startswith(EXT_IP + ":")
                               for p in a.peers()), 20, "B's session through the mapping")
        check(any(p["id"] == info["id"] for p in b.peers()),
              "B (outside) reached A through %s" % ext)
        wait_until(lambda: any(r["id"] == info["id"] and r["addr"] == ext
                               for r in b.rpc("getnodeaddresses")), 10,
                   "B to learn A's record")
        check(True, "B's address book has A's signed record at %s" % ext)

        # The 4 s lease is renewed every 2 s: the mapping outlives it.
        wait_until(lambda: a.logtext().count("upnp: renewed %s:%d" % (EXT_GW, port)) >= 3,
                   20, "three renewals")
        while time.monotonic() - t_mapped < 7:
            time.sleep(0.2)
        renewals = a.rpc("getnetworkinfo")["upnp"]["renewals"]
        check(renewals >= 3, "A renewed the lease %d times" % renewals)
        check(mapping_line(port) in upnp_list(),
              "the mapping is still there %.1f s after it was made (lease 4 s)" %
              (time.monotonic() - t_mapped))

        rc, took = a.timed_stop()
        print("     A stopped in %.2f s" % took, flush=True)
        check(rc == 0 and took < 4.0, "A stops at once with the gateway there (%.2f s)" % took)
        check("upnp: removed the mapping of TCP port %d" % port in a.logtext(),
              "A logs the removal")
        check(mapping_line(port) not in upnp_list(), "upnpc -l no longer lists the mapping")
        check("dnat" not in nat_rules(), "the gateway's forwarding rule is gone")
        b.stop()
    finally:
        stop_process(mud)
        mudlog.close()


# ---- fake gateways --------------------------------------------------------------------------

def fake_gateway(mode, http_port):
    """Runs in the gateway namespace: answers SSDP searches pointing at an HTTP server that
    sends garbage (mode garbage) or accepts and never answers (mode silent)."""
    rng = random.Random(7)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    udp.bind(("0.0.0.0", 1900))
    udp.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                   socket.inet_aton("239.255.255.250") + socket.inet_aton(LAN_GW))
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((LAN_GW, http_port))
    srv.listen(16)
    held = []

    def serve():
        while True:
            c, _ = srv.accept()
            if mode == "garbage":
                c.recv(4096)
                body = bytes(rng.getrandbits(8) for _ in range(700))
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %d"
                          b"\r\n\r\n" % len(body) + body)
                c.close()
            else:
                held.append(c)  # never answered, never closed

    threading.Thread(target=serve, daemon=True).start()
    while True:
        data, peer = udp.recvfrom(4096)
        st = b"urn:schemas-upnp-org:device:InternetGatewayDevice:1"
        for line in data.split(b"\r\n"):
            if line.lower().startswith(b"st:"):
                st = line[3:].strip()
        udp.sendto(bytes(rng.getrandbits(8) for _ in range(200)), peer)  # noise first
        udp.sendto(b"HTTP/1.1 200 OK\r\nCACHE-CONTROL: max-age=120\r\nST: " + st +
                   b"\r\nUSN: uuid:fake::" + st + b"\r\nEXT:\r\nSERVER: fake/1 UPnP/1.1 x/1"
                   b"\r\nLOCATION: http://%s:%d/rootDesc.xml\r\n\r\n" %
                   (LAN_GW.encode(), http_port), peer)


def start_fake(net, mode):
    log = open(os.path.join(net.root, "fake-%s.log" % mode), "wb")
    proc = subprocess.Popen(["ip", "netns", "exec", NS["gw"], sys.executable,
                             os.path.abspath(__file__), "--fake", mode, str(net.port + 1)],
                            stdout=log, stderr=log)
    time.sleep(0.3)
    if proc.poll() is not None:
        fail("the fake gateway (%s) did not start: see %s" % (mode, log.name))
    return proc, log


def gateway_line(node, net):
    """The warning that names the fake gateway's description URL, or None."""
    url = "http://%s:%d/rootDesc.xml" % (LAN_GW, net.port + 1)
    for x in node.logtext().splitlines():
        if " WARN  upnp: " in x and url in x:
            return x.split(" WARN  ")[-1]
    return None


def responsive_while(node, seconds, what):
    """RPC answers throughout: every call within a second."""
    end = time.monotonic() + seconds
    worst, calls = 0.0, 0
    while time.monotonic() < end:
        t0 = time.monotonic()
        info = node.rpc("getnetworkinfo")
        worst = max(worst, time.monotonic() - t0)
        calls += 1
        time.sleep(0.1)
    check(worst < 1.0 and node.proc.poll() is None,
          "RPC stays responsive %s (%d calls, slowest %.0f ms)" % (what, calls, worst * 1000))
    return info


def fake_gateways(net):
    # Nobody answers the search (miniupnpd is gone): one line, then retries later.
    n = add(net, NS["lan"], LAN_IP, ["-upnp=1"]).start()
    wait_until(lambda: "upnp: no UPnP gateway answered the search" in n.logtext(), 15,
               "the line about no gateway")
    info = responsive_while(n, 1.0, "with no gateway")
    check(info["upnp"]["status"] == "failed" and info["localaddresses"] == [n.addr],
          "no gateway: status failed, the record keeps the LAN address only")
    rc, took = n.timed_stop()
    check(rc == 0 and took < 4.0, "it stops at once (%.2f s)" % took)

    # A gateway whose description is garbage.
    fake, log = start_fake(net, "garbage")
    try:
        n = add(net, NS["lan"], LAN_IP, ["-upnp=1"]).start()
        wait_until(lambda: gateway_line(n, net), 15, "the line about the garbage gateway")
        check("is not an Internet gateway" in gateway_line(n, net),
              "garbage: one line naming it: " + gateway_line(n, net))
        info = responsive_while(n, 1.0, "after the garbage")
        check(info["upnp"]["status"] == "failed" and info["localaddresses"] == [n.addr],
              "garbage: status failed, nothing advertised")
        rc, took = n.timed_stop()
        check(rc == 0 and took < 4.0, "it stops at once (%.2f s)" % took)
    finally:
        stop_process(fake)
        log.close()

    # A gateway that takes the HTTP connection and never answers.
    fake, log = start_fake(net, "silent")
    try:
        n = add(net, NS["lan"], LAN_IP, ["-upnp=1"]).start()
        info = responsive_while(n, 3.0, "while the gateway stalls")
        check(info["upnp"]["status"] == "searching", "silent: still searching after 3 s")
        rc, took = n.timed_stop()
        print("     stopped during the stall in %.2f s" % took, flush=True)
        check(rc == 0 and took < 4.0,
              "a stop during the stall ends within seconds (%.2f s)" % took)
        check("upnp: the gateway did not answer within 1500 ms; stopping without it" in
              n.logtext(), "and says it left the gateway behind")

        n = add(net, NS["lan"], LAN_IP, ["-upnp=1"]).start()
        wait_until(lambda: gateway_line(n, net), 25, "the line about the silent gateway")
        check(n.proc.poll() is None and n.rpc("getnetworkinfo")["upnp"]["status"] == "failed",
              "silent: after miniupnpc's timeout, one line and the node runs on: " +
              gateway_line(n, net))
    finally:
        stop_process(fake)
        log.close()


def body(net):
    if os.geteuid() != 0:
        fail("needs root, for ip netns (make test runs as root)")
    for tool, pkg in (("miniupnpd", "miniupnpd"), ("upnpc", "miniupnpc"), ("nft", "nftables"),
                      ("ip", "iproute2")):
        if not shutil.which(tool):
            fail("%s is not installed (Debian package %s; scripts/deps.sh test installs it)" %
                 (tool, pkg))
    make_namespaces()
    try:
        real_gateway(net)
        fake_gateways(net)
    finally:
        net.stop_all()
        remove_namespaces()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--fake":
        fake_gateway(sys.argv[2], int(sys.argv[3]))
    else:
        run("upnp", body)
