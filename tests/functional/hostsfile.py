"""Test host names in /etc/hosts (and /etc/host.conf): lines a test adds carry a mark with its
pid and are removed exactly, in a finally block; lines a killed earlier run left behind are
removed before a test begins. Root only (the callers fail, never skip, otherwise)."""
import fcntl
import os
import re

HOSTS = "/etc/hosts"
HOST_CONF = "/etc/host.conf"
MARK = "# hearsay-test-names-%d" % os.getpid()


def edit(path, change):
    """Rewrites path in place (it may be a bind mount) under an exclusive lock."""
    with open(path, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        text = change(f.read())
        f.seek(0)
        f.truncate()
        f.write(text)
        fcntl.flock(f, fcntl.LOCK_UN)


def add_lines(path, lines):
    edit(path, lambda t: t + ("" if not t or t.endswith("\n") else "\n") +
         "".join("%s %s\n" % (l, MARK) for l in lines))


def remove_ours(path):
    edit(path, lambda t: "".join(l for l in t.splitlines(True) if MARK not in l))


def remove_stale(path):
    """Lines a killed earlier run left (its process is gone): removed before we begin."""
    def alive(line):
        m = re.search(r"# hearsay-test-names-(\d+)$", line.rstrip("\n"))
        return not m or os.path.exists("/proc/%s" % m.group(1))
    edit(path, lambda t: "".join(l for l in t.splitlines(True) if alive(l)))
