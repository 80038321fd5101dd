#!/usr/bin/env python3
"""The include graph points one way. Each module may include its own headers, the public API
(include/hearsay/) and the modules below it; a header above its layer fails this check, and
so does a public header that includes anything but the C library and other public headers
(an embedder's build must not need our dependencies' headers).

    base < crypto < reputation < overlay < sim
                 \\< store         \\
                          \\--------< node (the host, hearsayd and the tools)

tests/, fuzz/, bench/ and examples/ sit above everything."""
import os
import re
import sys

BELOW = {
    "base": set(),
    "crypto": {"base"},
    "reputation": {"base", "crypto"},
    "overlay": {"base", "crypto", "reputation"},
    "store": {"base", "crypto"},
    "sim": {"base", "crypto", "reputation", "overlay"},
    "node": {"base", "crypto", "reputation", "overlay", "store"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def main(root):
    bad = []
    for mod, allowed in BELOW.items():
        for dirpath, _, names in os.walk(os.path.join(root, mod)):
            for name in sorted(names):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(dirpath, name)
                for n, line in enumerate(open(path, encoding="utf-8"), 1):
                    m = INCLUDE.match(line)
                    if not m or m.group(1) != '"' or "/" not in m.group(2):
                        continue
                    top = m.group(2).split("/")[0]
                    if top in BELOW and top != mod and top not in allowed:
                        bad.append(f"{os.path.relpath(path, root)}:{n}: {mod}/ includes "
                                   f"{m.group(2)}, a layer above it")
    pub = os.path.join(root, "include", "hearsay")
    for name in sorted(os.listdir(pub)):
        path = os.path.join(pub, name)
        for n, line in enumerate(open(path, encoding="utf-8"), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            inc = m.group(2)
            if m.group(1) == '"' or (inc.startswith("hearsay/") and
                                     os.path.exists(os.path.join(root, "include", inc))):
                if not inc.startswith("hearsay/"):
                    bad.append(f"include/hearsay/{name}:{n}: the public API includes {inc}")
            elif "/" in inc or inc not in C_HEADERS:
                bad.append(f"include/hearsay/{name}:{n}: the public API includes <{inc}>, "
                           "which is not a C library header")
    for b in bad:
        print("layers:", b, file=sys.stderr)
    if not bad:
        print(f"layers: ok ({', '.join(BELOW)}; include/hearsay/ needs only the C library)")
    return 1 if bad else 0


C_HEADERS = {"stdbool.h", "stddef.h", "stdint.h", "stdarg.h", "stdio.h", "limits.h",
             "inttypes.h"}

if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else
                  os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")))
