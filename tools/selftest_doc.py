#!/usr/bin/env python3
"""The results of `ward selftest` for every shipped profile, as the marked block of
docs/selftest.md (stdlib only).

  selftest_doc.py render WARD            print the block (runs WARD selftest --json per profile)
  selftest_doc.py check WARD DOC         exit 1 when DOC's block differs from the code's output
  selftest_doc.py update WARD DOC        rewrite DOC's block

The block is between the lines <!-- selftest-results:begin --> and <!-- selftest-results:end -->.
"""
import glob
import json
import os
import subprocess
import sys

BEGIN = "<!-- selftest-results:begin -->"
END = "<!-- selftest-results:end -->"


def profiles():
    return [os.path.basename(p)[:-5] for p in sorted(glob.glob("profiles/*.yaml"))]


def run(ward, name):
    p = subprocess.run([ward, "selftest", "-p", name, "--json", "-e", "none"],
                       capture_output=True, text=True, timeout=120)
    if p.returncode not in (0, 1):
        sys.exit(f"ward selftest -p {name}: exit {p.returncode}: {p.stderr.strip()}")
    return p.returncode, json.loads(p.stdout)


def render(ward):
    names = profiles()
    results = {n: run(ward, n) for n in names}
    probes = [t["name"] for t in results[names[0]][1]["probes"]]
    cell = {"pass": "pass", "fail": "**FAIL**", "skip": "skip"}
    out = [BEGIN,
           "| probe | " + " | ".join(f"`{n}`" for n in names) + " |",
           "|---|" + "---|" * len(names)]
    for i, pr in enumerate(probes):
        row = [cell[results[n][1]["probes"][i]["verdict"]] for n in names]
        out.append(f"| `{pr}` | " + " | ".join(row) + " |")
    out.append("| exit status | " + " | ".join(str(results[n][0]) for n in names) + " |")
    out.append("")
    out.append("Why each failing probe fails:")
    out.append("")
    why = {}
    for n in names:
        for t in results[n][1]["probes"]:
            if t["verdict"] == "fail":
                why.setdefault((t["name"], t["why"]), []).append(n)
    for (pr, w), ns in sorted(why.items(), key=lambda k: probes.index(k[0][0])):
        out.append(f"- `{pr}` ({', '.join(ns)}): {w}")
    out.append(END)
    return "\n".join(out) + "\n"


def block_of(doc):
    a, b = doc.find(BEGIN), doc.find(END)
    if a < 0 or b < 0:
        sys.exit("no selftest-results block in the document")
    return a, b + len(END) + 1


def main(argv):
    if len(argv) == 3 and argv[1] == "render":
        sys.stdout.write(render(argv[2]))
        return 0
    if len(argv) == 4 and argv[1] in ("check", "update"):
        doc = open(argv[3], encoding="utf-8").read()
        a, b = block_of(doc)
        new = render(argv[2])
        if argv[1] == "update":
            open(argv[3], "w", encoding="utf-8").write(doc[:a] + new + doc[b:])
            return 0
        if doc[a:b] != new:
            import difflib
            sys.stderr.writelines(difflib.unified_diff(
                doc[a:b].splitlines(True), new.splitlines(True), argv[3], "ward selftest"))
            return 1
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
