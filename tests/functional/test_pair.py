"""hearsay-pair, two real processes over TCP: the Noise XX handshake proves both identities
and the listener verifies the connector's signed rumor; across two networks the handshake
fails: the listener names the reason, and both sides exit non-zero."""
import os
import subprocess

from framework import BIN, check, run

PAIR = os.path.join(BIN, "hearsay-pair")


def pair(root, addr, tag, listen_net, connect_net):
    dirs = [os.path.join(root, tag + "-l"), os.path.join(root, tag + "-c")]
    for d in dirs:
        os.makedirs(d)
    lst = subprocess.Popen([PAIR, "listen", addr, "-network=" + listen_net, "-datadir=" + dirs[0]],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    head = []
    for line in lst.stdout:
        head.append(line)
        if "listening on" in line:
            break
    con = subprocess.run([PAIR, "connect", addr, "-network=" + connect_net, "-datadir=" + dirs[1]],
                         capture_output=True, text=True, timeout=20)
    rest = lst.communicate(timeout=20)[0]
    return lst.returncode, "".join(head) + rest, con.returncode, con.stdout + con.stderr


def identity(out):
    """The 64-hex identity a side prints first."""
    for line in out.splitlines():
        if "] identity " in line:
            return line.split("] identity ")[1].split()[0]
    return None


def body(net):
    addr = "127.33.0.1:%d" % net.port
    lc, lout, cc, cout = pair(net.root, addr, "good", "pairnet", "pairnet")
    check(lc == 0 and cc == 0, "both sides exit 0 (got %d and %d)" % (lc, cc))
    lid, cid = identity(lout), identity(cout)
    check(lid and cid and lid != cid, "each side has its own identity")
    check("peer identity %s proven" % cid in lout, "the listener proves the connector's identity")
    check("peer identity %s proven" % lid in cout, "the connector proves the listener's identity")
    check("signature verified (BIP340, tag hearsay/rumor/pairnet)" in lout,
          "the listener verifies the rumor's signature under the network's tag")

    lc, lout, cc, cout = pair(net.root, "127.33.0.1:%d" % (net.port + 1), "cross", "pairnet",
                              "othernet")
    check(lc != 0 and cc != 0, "across networks both sides exit non-zero (got %d and %d)" %
          (lc, cc))
    check("handshake: peer is on another network" in lout,
          "the listener says the peer is on another network")
    check("handshake complete" not in cout, "the connector never completes the handshake")
    check("signature verified" not in lout, "no rumor is accepted across networks")


run("pair", body)
