"""What `make install` gives an operator, installed into a temporary prefix: the programs run,
the man pages are troff, the sample hearsay.conf lists every key with a default the daemon
accepts, and the systemd unit passes `systemd-analyze verify` (its man: links resolved
against the installed pages), stays within an exposure of 2.0 in `systemd-analyze security`,
and allows every system call the daemon makes (traced with strace). Tools this needs are
installed by `scripts/deps.sh test`; a missing one fails the test, saying which."""
import os
import re
import shutil
import signal
import subprocess
import sys

import framework
from framework import check, fail, run, wait_until

BUILD = os.path.dirname(os.path.abspath(framework.BIN))
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
PROGRAMS = ["hearsayd", "hearsay-cli", "hearsay-sim"]
HARDENING = ["User=hearsay", "StateDirectory=hearsay", "NoNewPrivileges=yes",
             "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes",
             "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
             "SystemCallFilter=@system-service", "CapabilityBoundingSet=",
             "MemoryDenyWriteExecute=yes", "LockPersonality=yes", "RestrictNamespaces=yes"]


def cache(key):
    with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith(key + ":"):
                return line.split("=", 1)[1].strip()
    fail("%s not in %s/CMakeCache.txt" % (key, BUILD))


def tool(name, package):
    path = shutil.which(name)
    if not path:
        fail("%s is missing, so this cannot be checked: install the Debian package %s "
             "(scripts/deps.sh test does)" % (name, package))
    return path


def sh(*args, **kw):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120, **kw)


def start(prefix, datadir, addr, conf, wrap=(), env=None):
    os.makedirs(datadir, exist_ok=True)
    log = open(os.path.join(datadir, "log"), "wb")
    proc = subprocess.Popen(list(wrap) + [os.path.join(prefix, "bin", "hearsayd"),
                                          "-datadir=" + datadir, "-listen=" + addr,
                                          "-conf=" + conf, "-rpcport=0"], stdout=log, stderr=log, env=env)
    cli = [os.path.join(prefix, "bin", "hearsay-cli"), "-datadir=" + datadir]
    wait_until(lambda: proc.poll() is not None or sh(*cli, "uptime").returncode == 0, 30,
               "the installed hearsayd to answer RPC")
    return proc, cli, log


def stop(proc, log, pid=None):
    """SIGTERM to the daemon (pid, when proc is a wrapper such as strace); its exit status."""
    if proc.poll() is None:
        os.kill(pid or proc.pid, signal.SIGTERM)
    try:
        rc = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.kill(pid or proc.pid, signal.SIGKILL)
        proc.kill()
        proc.wait()
        fail("hearsayd did not stop within 30 s of SIGTERM")
    log.close()
    return rc


def check_programs(prefix):
    version = cache("CMAKE_PROJECT_VERSION")
    for prog in PROGRAMS:
        r = sh(os.path.join(prefix, "bin", prog), "--version")
        check(r.returncode == 0 and prog in r.stdout and version in r.stdout,
              "%s --version: %s" % (prog, r.stdout.strip()))
        page = os.path.join(prefix, "share", "man", "man1", prog + ".1")
        if not os.path.exists(page):
            fail("%s is not installed: was help2man found when the build was configured? "
                 "(scripts/deps.sh installs it; then configure again)" % page)
        text = open(page).read() if os.path.exists(page) else ""
        ok = (re.search(r'^\.TH "?%s"? "?1' % prog.upper(), text, re.M) and ".SH NAME" in text
              and re.search(r"^\.SH (SYNOPSIS|DESCRIPTION)", text, re.M))
        check(ok, "man page %s is troff (.TH, NAME, %d bytes)" % (page, len(text)))
        check(".SH OPTIONS" in text or "\\fB\\-" in text, "%s(1) documents options" % prog)


def conf_with_defaults(sample, path, extra=""):
    """The sample with every key that has a default uncommented."""
    lines = [l[1:] for l in open(sample).read().splitlines()
             if re.match(r"^#[a-z0-9_]+=\S", l)]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n" + extra)
    return lines


def check_sample(prefix, root, port):
    sample = os.path.join(prefix, "share", "doc", "hearsay", "hearsay.conf.example")
    etc = os.path.join(prefix, "etc", "hearsay", "hearsay.conf")
    check(os.path.exists(sample) and open(sample).read() == open(etc).read(),
          "the sample config is installed as the doc example and as etc/hearsay/hearsay.conf")
    helptext = sh(os.path.join(prefix, "bin", "hearsayd"), "--help").stdout
    keys = re.findall(r"^  -([a-z][a-z0-9_]*)\s{2,}", helptext, re.M)
    text = open(sample).read()
    missing = [k for k in keys if k not in ("datadir", "conf", "repairstore") and
               not re.search(r"^#%s=" % k, text, re.M)]
    check(not missing and len(keys) > 20, "every key of hearsayd --help is in the sample "
          "(%d keys)" % len(keys))
    check(all(re.search(r"^#score_[a-z_]+=-?[0-9.]+$", l) for l in text.splitlines()
              if l.startswith("#score")), "the score_* keys carry their numeric defaults")
    doc = open(os.path.join(SOURCE, "docs", "CONFIG.md")).read()
    undocumented = [k for k in keys if k != "repairstore" and "`%s`" % k not in doc]
    check(not undocumented, "every key is documented in docs/CONFIG.md (%s)" % undocumented)

    proc, cli, log = start(prefix, os.path.join(root, "as-is"), "127.31.0.1:%d" % port, sample)
    check(proc.poll() is None and stop(proc, log) == 0,
          "the installed hearsayd starts on the sample as installed, and stops cleanly")
    full = os.path.join(root, "defaults.conf")
    set_keys = conf_with_defaults(sample, full)
    proc, cli, log = start(prefix, os.path.join(root, "defaults"), "127.31.0.1:%d" % port, full)
    check(proc.poll() is None and stop(proc, log) == 0,
          "hearsayd accepts every default the sample states (%d keys uncommented)" %
          len(set_keys))
    bad = os.path.join(root, "bad.conf")
    conf_with_defaults(sample, bad, "score_ban=-10\n")
    r = sh(os.path.join(prefix, "bin", "hearsayd"), "-datadir=" + os.path.join(root, "bad"),
           "-listen=127.31.0.1:%d" % port, "-conf=" + bad)
    check(r.returncode == 78 and "score" in r.stderr,
          "and it really reads the file: a broken ladder is refused (78)")


def check_unit(prefix, root, port):
    unit = os.path.join(prefix, "lib", "systemd", "system", "hearsayd.service")
    text = open(unit).read()
    check("ExecStart=%s/bin/hearsayd " % prefix in text,
          "the unit runs the hearsayd of the prefix it was installed to")
    check(re.search(r"^ExecReload=.*kill -HUP \$MAINPID$", text, re.M), "reload sends SIGHUP")
    absent = [h for h in HARDENING if not re.search("^%s$" % re.escape(h), text, re.M)]
    check(not absent, "the unit is hardened (%d directives; missing %s)" %
          (len(HARDENING), absent))
    analyze = tool("systemd-analyze", "systemd")
    env = dict(os.environ, MANPATH=os.path.join(prefix, "share", "man"), SYSTEMD_PAGER="")
    r = sh(analyze, "verify", unit, env=env)
    out = (r.stdout + r.stderr).strip()
    check(r.returncode == 0 and not out,
          "systemd-analyze verify accepts the unit, without a warning (%s)" % (out or "silent"))
    r = sh(analyze, "security", "--offline=yes", "--threshold=20", unit, env=env)
    level = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
    check(r.returncode == 0 and level,
          "systemd-analyze security: exposure %s, at most 2.0" % (level and level.group(1)))
    users = os.path.join(root, "sysroot")
    os.makedirs(os.path.join(users, "etc"))
    r = sh(tool("systemd-sysusers", "systemd"), "--root=" + users,
           os.path.join(prefix, "lib", "sysusers.d", "hearsay.conf"))
    passwd = open(os.path.join(users, "etc", "passwd")).read()
    check(r.returncode == 0 and re.search(r"^hearsay:x:\d+:\d+:.*:/var/lib/hearsay:", passwd,
                                          re.M), "sysusers.d creates the user hearsay")
    check_syscalls(prefix, root, port, analyze)


def allowed_syscalls(analyze):
    """@system-service minus @privileged and @resources, as the unit's filter says."""
    def expand(group):
        names = set()
        for line in sh(analyze, "syscall-filter", group).stdout.splitlines()[1:]:
            name = line.strip()
            if name.startswith("@"):
                names |= expand(name)
            elif name and not name.startswith("#"):
                names.add(name)
        return names
    return expand("@system-service") - expand("@privileged") - expand("@resources")


def check_syscalls(prefix, root, port, analyze):
    strace = tool("strace", "strace")
    trace = os.path.join(root, "trace")
    conf = os.path.join(prefix, "etc", "hearsay", "hearsay.conf")
    proc, cli, log = start(prefix, os.path.join(root, "traced"), "127.31.0.1:%d" % port, conf,
                           wrap=[strace, "-f", "-qq", "-o", trace],
                           env=dict(os.environ, ASAN_OPTIONS=os.environ.get(
                               "ASAN_OPTIONS", "") + ":detect_leaks=0"))  # LSan cannot run traced
    # strace blocks fatal signals for itself: signal the daemon, the first pid in the trace.
    with open(trace) as f:
        pid = int(f.readline().split()[0])
    rid = sh(*cli, "publish", "t", "traced").stdout
    sh(*cli, "setstate", "k", "v")
    sh(*cli, "getpeerinfo")
    os.kill(pid, signal.SIGHUP)
    wait_until(lambda: sh(*cli, "uptime").returncode == 0, 10, "RPC after SIGHUP")
    rc = stop(proc, log, pid)
    used = set()
    for line in open(trace):
        m = re.match(r"^\d+\s+([a-z0-9_]+)\(", line)
        if m:
            used.add(m.group(1))
    allowed = allowed_syscalls(analyze)
    denied = sorted(used - allowed - {"execve"})  # execve is strace starting the daemon
    check(rc == 0 and '"id"' in rid and len(used) > 20,
          "the daemon ran under strace: %d distinct system calls" % len(used))
    check(not denied, "every system call it made is allowed by the unit's filter (%s)" %
          (", ".join(denied) or "none denied"))


def check_python(prefix):
    """The RPC client module is installed and imports with the standard library alone."""
    where = os.path.join(prefix, cache("HS_PYTHON_DIR"))
    path = os.path.join(where, "hearsay_rpc.py")
    check(os.path.exists(path), "hearsay_rpc.py installed in %s" % where)
    r = subprocess.run([sys.executable, "-I", "-c",
                        "import sys; sys.path.insert(0, %r); import hearsay_rpc; "
                        "print(hearsay_rpc.Client.__doc__ is not None, hearsay_rpc.__file__)"
                        % where], capture_output=True, text=True)
    check(r.returncode == 0 and r.stdout.startswith("True") and where in r.stdout,
          "import hearsay_rpc from the prefix (isolated, no project paths): %s%s"
          % (r.stdout.strip(), r.stderr.strip()))


def body(net):
    prefix = os.path.join(net.root, "prefix")
    r = sh(cache("CMAKE_COMMAND"), "--install", BUILD, "--prefix", prefix)
    check(r.returncode == 0, "cmake --install into %s%s" % (prefix, r.stderr and ": " + r.stderr))
    check_programs(prefix)
    check_python(prefix)
    check_sample(prefix, net.root, net.port)
    check_unit(prefix, net.root, net.port)


run("install", body)
