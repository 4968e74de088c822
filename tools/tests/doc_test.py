#!/usr/bin/env python3
"""doc_test.py KMEMFUZZ REPO [--update]: every command block in README.md and
docs/*.md that shows output is run, and its output must match.

In a Markdown file:
  ```kmf demo.kmf        a fenced block whose info string is `kmf NAME` or
  ...                    `kmfa NAME` is written to NAME first (in order);
  ```
  ```console             a block whose lines start with `$ kmemfuzz ...`
  $ kmemfuzz run demo.kmf  is a transcript: each command runs (in a scratch
  PASS demo.kmf (3 ops)    directory holding the files above and a `corpus`
  ```                      link to the repository's), and its stdout and
                           stderr together must equal the lines below it.
`--update` rewrites the expected output in place instead (then review the diff).
"""
import os, re, shlex, subprocess, sys, tempfile

kmemfuzz, repo = sys.argv[1], sys.argv[2]
update = "--update" in sys.argv[3:]
docs = [os.path.join(repo, "README.md")] + sorted(
    os.path.join(repo, "docs", f) for f in os.listdir(os.path.join(repo, "docs")) if f.endswith(".md"))
fence = re.compile(r"^```(.*)$")
failures, commands = 0, 0
bindir = tempfile.mkdtemp()
os.symlink(os.path.abspath(kmemfuzz), os.path.join(bindir, "kmemfuzz"))
env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""), COLUMNS="100")

for doc in docs:
    lines = open(doc, encoding="utf-8").read().split("\n")
    work = tempfile.mkdtemp()
    os.symlink(os.path.join(repo, "corpus"), os.path.join(work, "corpus"))
    out_lines, i, changed = [], 0, False
    while i < len(lines):
        m = fence.match(lines[i])
        if not m:
            out_lines.append(lines[i]); i += 1; continue
        info = m.group(1).split()
        j = i + 1
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        body = lines[i + 1:j]
        out_lines.append(lines[i])
        if len(info) == 2 and info[0] in ("kmf", "kmfa"):
            with open(os.path.join(work, info[1]), "w") as f:
                f.write("\n".join(body) + "\n")
            out_lines += body
        elif body and body[0].startswith("$ kmemfuzz"):
            k, new_body = 0, []
            while k < len(body):
                cmd = body[k][2:]
                k += 1
                want = []
                while k < len(body) and not body[k].startswith("$ "):
                    want.append(body[k]); k += 1
                commands += 1
                r = subprocess.run(cmd, shell=True, cwd=work, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True, timeout=120)
                got = [l.rstrip() for l in r.stdout.rstrip("\n").split("\n")] if r.stdout else []
                if [l.rstrip() for l in want] != got:
                    if update:
                        changed = True
                    else:
                        failures += 1
                        print(f"{os.path.relpath(doc, repo)}:{i + 1}: `{cmd}` printed:")
                        print("\n".join("  | " + l for l in got))
                        print("  but the document shows:")
                        print("\n".join("  | " + l for l in want))
                new_body += ["$ " + cmd] + (got if update else want)
            out_lines += new_body
        else:
            out_lines += body
        if j < len(lines):
            out_lines.append(lines[j])
        i = j + 1
    if update and changed:
        open(doc, "w", encoding="utf-8").write("\n".join(out_lines))
        print("updated", os.path.relpath(doc, repo))

if commands == 0:
    print("no command transcripts found: the doc test would check nothing"); sys.exit(1)
print(f"{commands} documented commands checked, {failures} differ")
sys.exit(1 if failures else 0)
