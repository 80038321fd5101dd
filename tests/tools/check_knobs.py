#!/usr/bin/env python3
"""One name per knob (docs/KNOBS.md, "One name per knob"): checks the rule on `hearsayd --help`,
`hearsay-sim --help` and docs/KNOBS.md.

- every hearsay-sim flag has the hearsay.conf key named by the rule (flag without "--", '_'
  for '-'), and every hearsayd key its flag, except the names in the page's "Deliberate
  exceptions" table, each of which must exist in the program(s) it names;
- every row of the page's summary table names a key and a flag that exist and map by the rule;
  a core field in nanoseconds (`..._ns`) has a key ending in _ms or _s;
- a misspelt key or flag names the real one (both programs).

usage: check_knobs.py HEARSAYD HEARSAY_SIM KNOBS_MD
"""
import re
import subprocess
import sys

FAILS = []


def check(cond, what):
    if not cond:
        FAILS.append(what)


def helptext(prog):
    return subprocess.run([prog, "--help"], capture_output=True, text=True, timeout=30,
                          check=True).stdout


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    hearsayd, sim, knobs_md = sys.argv[1:]
    keys = set(re.findall(r"^  -([a-z][a-z0-9_]*)\s{2,}", helptext(hearsayd), re.M))
    flags = set(re.findall(r"^  --([a-z][a-z0-9-]*)\b", helptext(sim), re.M))
    check(len(keys) > 30 and len(flags) > 30, "parsed both --help texts (%d keys, %d flags)" %
          (len(keys), len(flags)))
    doc = open(knobs_md, encoding="utf-8").read()

    exc = doc.split("### Deliberate exceptions", 1)
    check(len(exc) == 2, "docs/KNOBS.md has a 'Deliberate exceptions' section")
    rows = re.findall(r"^\| `([a-z0-9_-]+)` \| (hearsayd|hearsay-sim|both) \| (.+) \|$",
                      exc[-1].split("\n## ", 1)[0], re.M)
    exceptions = {name: prog for name, prog, _ in rows}
    check(len(rows) > 20, "the exceptions table lists its names (%d)" % len(rows))
    for name, prog in exceptions.items():
        key, flag = name.replace("-", "_"), name.replace("_", "-")
        in_d = key in keys or name in ("help", "version")
        in_s = flag in flags
        want = {"hearsayd": (True, False), "hearsay-sim": (False, True), "both": (True, True)}
        check((in_d, in_s) == want[prog],
              "exception %s is said to be in %s, found in hearsayd: %s, hearsay-sim: %s" %
              (name, prog, in_d, in_s))

    for flag in sorted(flags):
        if flag in exceptions:
            continue
        key = flag.replace("-", "_")
        check(key in keys, "hearsay-sim --%s has no hearsay.conf key %s (nor an exception)" %
              (flag, key))
    for key in sorted(keys):
        if key in exceptions:
            continue
        flag = key.replace("_", "-")
        check(flag in flags, "hearsay.conf key %s has no hearsay-sim flag --%s (nor an "
              "exception)" % (key, flag))

    summary = doc.split("## Summary", 1)[-1].split("\n## ", 1)[0]
    table = re.findall(r"^\| `([a-z_]+)`[^|]* \| [^|]+ \| (`[^|]+`) \| (`[^|]+`)[^|]* \|",
                       summary, re.M)
    check(len(table) >= 15, "the summary table has its rows (%d)" % len(table))
    for field, conf, simflag in table:
        conf_keys = re.findall(r"`([a-z_]+)`", conf)
        sim_flags = re.findall(r"`--([a-z-]+)`", simflag)
        check(conf_keys and sim_flags, "summary row %s names a key and a flag" % field)
        for k in conf_keys:
            check(k in keys, "summary row %s: key %s is not in hearsayd --help" % (field, k))
        for f in sim_flags:
            check(f in flags, "summary row %s: flag --%s is not in hearsay-sim --help" %
                  (field, f))
            check(f.replace("-", "_") in conf_keys or "..." in simflag,
                  "summary row %s: --%s and %s do not map by the rule" % (field, f, conf_keys))
        if conf_keys and field.endswith("_ns"):
            check(re.search(r"_(ms|s)$", conf_keys[0]),
                  "summary row %s: a duration's key %s names its unit" % (field, conf_keys[0]))

    # Suggestions: a misspelt name gets the real one.
    r = subprocess.run([hearsayd, "-eagerpus=2", "-datadir=/nonexistent/knobs"],
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 64 and "did you mean '-eager_push'?" in r.stderr,
          "hearsayd -eagerpus suggests -eager_push: %r" % r.stderr.strip())
    r = subprocess.run([sim, "--pull-window", "5"], capture_output=True, text=True, timeout=30)
    check(r.returncode == 64 and "did you mean '--pull-window-s'?" in r.stderr,
          "hearsay-sim --pull-window suggests --pull-window-s: %r" % r.stderr.strip())

    for f in FAILS:
        print("FAIL", f, file=sys.stderr)
    if FAILS:
        sys.exit(1)
    print("knob names: ok (%d hearsayd keys, %d hearsay-sim flags, %d exceptions)" %
          (len(keys), len(flags), len(exceptions)))


if __name__ == "__main__":
    main()
