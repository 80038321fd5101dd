"""A full disk loses nothing acknowledged (docs/OPERATIONS.md, "A full disk").

The data directory is a small tmpfs. A setstate loop fills it: every call either answers with
the store error (-20, "no space left on device") or its value is in the store after a restart.
While full the node is read-only for its own writes (getnetworkinfo.store_readonly, the log
line, publish refused) and still answers reads; once the tmpfs is made bigger it leaves
read-only mode by itself, takes writes again, and after a restart the store opens and holds the
latest acknowledged value of every key. Then a few seeded rounds of the same with kill -9 at a
random point. Needs root (mount): without it the test fails, it never skips.
"""
import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from framework import BIN, check, fail, wait_until
from rpcclient import Client

KEYS = 16
VALUE_BYTES = 3000
KILL_ROUNDS = 4
SEED = 20261203


class Daemon:
    """One hearsayd whose data directory is the tmpfs; its log lives outside it."""

    def __init__(self, datadir, logpath):
        self.datadir = datadir
        self.logpath = logpath
        self.proc = None

    def start(self, wait=True):
        args = [os.path.join(BIN, "hearsayd"), "-datadir=" + self.datadir, "-listen=0",
                "-network=diskfull", "-loglevel=info", "-rpcport=0"]
        log = open(self.logpath, "ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=log)
        log.close()
        if wait:
            end = time.time() + 20
            while time.time() < end:
                if self.proc.poll() is not None:
                    fail("hearsayd exited %d at start:\n%s" % (self.proc.returncode,
                                                               self.tail()))
                try:
                    Client(self.datadir).close()
                    return self
                except OSError:
                    time.sleep(0.05)
            fail("hearsayd did not answer RPC within 20 s")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                fail("hearsayd did not stop within 15 s of SIGTERM")
        rc = self.proc.returncode if self.proc else 0
        self.proc = None
        return rc

    def kill9(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def tail(self):
        with open(self.logpath, "rb") as f:
            return f.read().decode(errors="replace")[-3000:]


def call(c, method, *params):
    """(result, None) or (None, error object)."""
    c.send(method, *params)
    while True:
        msg = c.line()
        if msg.get("id") == c.next_id:
            return msg.get("result"), msg.get("error")


def mount(path, size):
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0700" % size, "tmpfs",
                        path], capture_output=True, text=True)
    if r.returncode != 0:
        fail("cannot mount a tmpfs on %s (%s): this test needs root and tmpfs; it does not "
             "skip" % (path, r.stderr.strip()))


def resize(path, size):
    r = subprocess.run(["mount", "-o", "remount,size=%s" % size, path], capture_output=True,
                       text=True)
    if r.returncode != 0:
        fail("cannot remount %s with size=%s: %s" % (path, size, r.stderr.strip()))


def used_bytes(path):
    s = os.statvfs(path)
    return (s.f_blocks - s.f_bfree) * s.f_frsize


class Ledger:
    """What the node acknowledged, and what it was asked but did not acknowledge, per key."""

    def __init__(self):
        self.acked = {}      # key -> last acknowledged value
        self.unacked = {}    # key -> values sent after it without an answer or with an error
        self.space_errors = 0
        self.other_errors = []

    def attempt(self, key, value):
        self.unacked.setdefault(key, []).append(value)

    def ack(self, key, value):
        self.acked[key] = value
        self.unacked[key] = []

    def check_store(self, c, my_id, what):
        wrong = []
        for key, want in sorted(self.acked.items()):
            got, err = call(c, "getstate", my_id, key)
            value = got["value"] if got else None
            # A write that failed may still have reached the log whole (LevelDB may report
            # an error for a record it wrote); it is then newer than the last acknowledged.
            if value != want and value not in self.unacked.get(key, []):
                wrong.append(key)
        check(not wrong, "%s: every key holds its latest acknowledged value (%d keys; wrong: "
              "%s)" % (what, len(self.acked), wrong[:5]))


def value_for(rng, i):
    return ("%06d-" % i) + "".join(rng.choice("0123456789abcdef") for _ in range(VALUE_BYTES))


def fill(c, ledger, rng, counter, until_errors):
    """setstate until until_errors space errors in a row; returns the last error."""
    in_a_row, last = 0, None
    while in_a_row < until_errors:
        counter[0] += 1
        key = "k%d" % (counter[0] % KEYS)
        value = value_for(rng, counter[0])
        ledger.attempt(key, value)
        res, err = call(c, "setstate", key, value)
        if err is None:
            ledger.ack(key, value)
            in_a_row = 0
            continue
        last = err
        if err["code"] == -20 and "no space left on device" in err["message"]:
            ledger.space_errors += 1
            in_a_row += 1
        else:
            ledger.other_errors.append(err)
            in_a_row += 1
        if counter[0] > 20000:
            fail("the store never filled")
    return last


def phase_fill_and_free(d, mnt, rng, ledger, counter):
    mount(mnt, "2m")
    d.start()
    c = Client(d.datadir)
    my_id = call(c, "getnetworkinfo")[0]["id"]
    last = fill(c, ledger, rng, counter, 20)
    check(ledger.space_errors > 0 and not ledger.other_errors,
          "a full disk answers setstate with -20 'no space left on device' (%d acknowledged "
          "keys, %d refused; other errors: %s; last: %s)" % (len(ledger.acked),
                                                            ledger.space_errors,
                                                            ledger.other_errors[:2], last))
    info = call(c, "getnetworkinfo")[0]
    check(info["store_readonly"] is True and "no space left on device" in info["store_error"],
          "getnetworkinfo reports store_readonly with the cause")
    _, err = call(c, "publish", "t", "x")
    check(err is not None and err["code"] == -20, "publish is refused while read-only")
    got, err = call(c, "liststate")
    check(err is None and len(got) == len(ledger.acked), "reads are still served")
    ban = "ab" * 32
    _, err = call(c, "setban", ban, "add", "100000")
    check(err is not None and err["code"] == -20 and "holds until the node stops" in
          err["message"] and len(call(c, "listbanned")[0]) == 1,
          "setban while read-only bans in memory and answers -20")
    check("read-only for this node's own writes" in d.tail(), "the log says it went read-only")

    resize(mnt, "64m")
    wait_until(lambda: call(c, "getnetworkinfo")[0]["store_readonly"] is False, 15,
               "the node to leave read-only mode after space was freed")
    check("leaving read-only mode" in d.tail(), "the log says it left read-only mode")
    for _ in range(3 * KEYS):
        counter[0] += 1
        key, value = "k%d" % (counter[0] % KEYS), value_for(rng, counter[0])
        ledger.attempt(key, value)
        res, err = call(c, "setstate", key, value)
        if err is not None:
            fail("setstate after space was freed: %s" % err)
        ledger.ack(key, value)
    check(True, "setstate succeeds again after space was freed")
    c.close()
    rc = d.stop()
    check(rc == 0, "the node stops cleanly (exit %d)" % rc)
    d.start()
    c = Client(d.datadir)
    ledger.check_store(c, my_id, "after the restart")
    banned = call(c, "listbanned")[0]
    check([b.get("id") for b in banned] == [ban],
          "the ban made while read-only was stored when the store recovered")
    c.close()
    return my_id  # the node is left running


def phase_full_start(d, mnt, rng, ledger, counter, my_id):
    """A start on a full disk fails with the cause (not "damaged"); freed, it opens."""
    resize(mnt, str(used_bytes(mnt) + 64 * 1024))
    c = Client(d.datadir)
    fill(c, ledger, rng, counter, 5)
    c.close()
    d.stop()
    with open(d.logpath, "rb") as f:
        f.seek(0, 2)
        mark = f.tell()
    d.start(wait=False)
    try:
        rc = d.proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        rc = None
    d.proc = None
    with open(d.logpath, "rb") as f:
        f.seek(mark)
        out = f.read().decode(errors="replace")
    errors = [line for line in out.splitlines() if "ERROR" in line]
    check(rc not in (None, 0) and errors and all(line.split("ERROR", 1)[1].strip()
                                                 for line in errors)
          and "no space left on device" in out and "damaged" not in out,
          "a start on a full disk fails with the cause (exit %s: %s)" % (rc, errors[-1:]))
    resize(mnt, "64m")
    d.start()
    c = Client(d.datadir)
    ledger.check_store(c, my_id, "after a failed start on a full disk and freeing space")
    c.close()


def phase_kill9(d, mnt, rng, ledger, counter, my_id):
    for r in range(KILL_ROUNDS):
        # Leave a little room, so the loop fills it within the round.
        room = rng.randrange(100, 400) * 1024
        resize(mnt, str(used_bytes(mnt) + room))
        if d.proc is None:
            d.start()
        c = Client(d.datadir)
        errors0 = ledger.space_errors
        acks = [0]
        stop = threading.Event()
        delay = rng.uniform(0.2, 1.5)
        killer = threading.Timer(delay, lambda: (stop.set(), d.kill9()))
        killer.start()
        try:
            while not stop.is_set():
                counter[0] += 1
                key, value = "k%d" % (counter[0] % KEYS), value_for(rng, counter[0])
                ledger.attempt(key, value)
                res, err = call(c, "setstate", key, value)
                if err is None:
                    ledger.ack(key, value)
                    acks[0] += 1
                elif err["code"] == -20 and "no space left on device" in err["message"]:
                    ledger.space_errors += 1
                elif not (err["code"] == -20 and "no space left on device" in err["message"]):
                    ledger.other_errors.append(err)
        except (ConnectionError, OSError):
            pass  # killed mid-call: that write is unacknowledged
        killer.join()
        d.kill9()
        check(not ledger.other_errors and acks[0] > 0,
              "round %d: %d writes acknowledged, %d refused for space, no other error (%s)" %
              (r, acks[0], ledger.space_errors - errors0, ledger.other_errors[:2]))
        resize(mnt, "64m")
        d.start()  # the store must open after every kill
        c = Client(d.datadir)
        ledger.check_store(c, my_id, "kill -9 round %d after %.2f s" % (r, delay))
        c.close()
        d.stop()


def main():
    if os.geteuid() != 0:
        fail("test_diskfull needs root to mount a tmpfs (the CI runs as root); it does not "
             "skip")
    root = tempfile.mkdtemp(prefix="hs-diskfull-")
    mnt = os.path.join(root, "data")
    os.makedirs(mnt)
    d = Daemon(mnt, os.path.join(root, "log"))
    rng = random.Random(SEED)
    ledger, counter = Ledger(), [0]
    ok = False
    try:
        my_id = phase_fill_and_free(d, mnt, rng, ledger, counter)
        phase_full_start(d, mnt, rng, ledger, counter, my_id)
        phase_kill9(d, mnt, rng, ledger, counter, my_id)
        ok = True
    finally:
        try:
            d.kill9()
        finally:
            subprocess.run(["umount", mnt], capture_output=True)
            if ok:
                shutil.rmtree(root, ignore_errors=True)
            else:
                print("log kept in %s (seed %d)" % (root, SEED), flush=True)
    print("PASS diskfull", flush=True)


if __name__ == "__main__":
    main()
