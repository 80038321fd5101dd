#!/usr/bin/env python3
"""Writes the sample hearsay.conf from `hearsayd --help`.

hearsayd prints its options from the key table in node/config.c (one line per key: two
spaces, -key, the help text ending in "(default X)" when there is one), so a sample generated
from that text at build time lists every key the daemon knows, with the default it states, and
cannot drift from it. Each key becomes a commented help line and a commented key=default line;
keys without a literal default (none, or one that names DATADIR or ~) get an empty value.

usage: sample-conf.py HEARSAYD OUTPUT
"""
import re
import subprocess
import sys

# Options that are not config file keys: where to find the file, and an action.
COMMAND_LINE_ONLY = {"datadir", "conf", "repairstore"}
OPTION = re.compile(r"^  -([a-z][a-z0-9_]*)\s{2,}(\S.*)$")
DEFAULT = re.compile(r"\(default ([^;)]*)[;)]")

HEADER = """\
# hearsay.conf: the configuration of hearsayd {version}.
#
# Generated from `hearsayd --help` when hearsay was built, so it lists every key the daemon
# knows. Each key is shown commented out with its default: uncomment a line to change it.
# Lines are key=value; '#' starts a comment; there are no sections. A -key=value flag on the
# command line overrides the file. The repeatable keys (connect, addnode, seednode, dnsseed)
# take one entry per line: HOST:PORT, IP:PORT or [IPv6]:PORT (dnsseed: a HOST, or HOST:PORT).
# Host names are resolved by the node, off its event loop, each time it dials them. An unknown
# key or a bad value stops hearsayd with a line naming it.
#
# hearsayd reads DATADIR/hearsay.conf, or the file named by -conf=FILE (the systemd unit,
# hearsayd.service, names this file that way). SIGHUP re-reads it: loglevel, bantime_s and new
# addnode lines apply at once; other keys need a restart (the log says so). See hearsayd(1)
# and docs/CONFIG.md.
#
# On the command line only:
{cli_only}
"""


def default_of(help_text):
    """The literal default value stated in the help text, or None."""
    m = DEFAULT.search(help_text)
    if not m:
        return None
    value = m.group(1).strip()
    value = value.split(": ", 1)[0]  # "0: off" -> "0", "*: all" -> "*"
    if not value or " " in value or "DATADIR" in value or "~" in value:
        return None
    return value


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    hearsayd, output = sys.argv[1], sys.argv[2]
    helptext = subprocess.run([hearsayd, "--help"], capture_output=True, text=True,
                              check=True).stdout
    version = subprocess.run([hearsayd, "--version"], capture_output=True, text=True,
                             check=True).stdout.strip().split(" ", 1)[-1]
    options = [m.groups() for m in map(OPTION.match, helptext.splitlines()) if m]
    if not any(name == "network" for name, _ in options):
        sys.exit("sample-conf.py: no options found in `%s --help`" % hearsayd)
    cli_only = "\n".join("#   -%-18s %s" % (name, text) for name, text in options
                         if name in COMMAND_LINE_ONLY)
    out = [HEADER.format(version=version, cli_only=cli_only)]
    in_policy = False
    for name, text in options:
        if name in COMMAND_LINE_ONLY:
            continue
        if name.startswith("score") and not in_policy:
            in_policy = True
            out.append("# ---- The penalty policy: points per event (faults negative), the "
                       "thresholds\n# ---- and the half-life (docs/PROTOCOL.md section 9.6). "
                       "They must form a ladder:\n# ---- 0 > score_gossip > score_graylist > "
                       "score_ban >= -1000.\n")
        value = default_of(text)
        out.append("# %s\n#%s=%s\n" % (text, name, value if value is not None else ""))
    with open(output, "w") as f:
        f.write("\n".join(out))


if __name__ == "__main__":
    main()
