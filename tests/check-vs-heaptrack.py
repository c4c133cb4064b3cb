#!/usr/bin/env python3
"""leakscope record against heaptrack, on programs no one here wrote.

1. The sqlite3 shell running a generated SQL script, python3 running a small
   script, bash running a script (bash has a getenv and setenv of its own:
   the recorder must neither miss its settings nor change what bash keeps),
   git in a small repository and make -j2 on a small Makefile are each run
   once under `leakscope record` and once under `heaptrack`, with the same
   environment (see "the same environment for both"); the number of calls to
   allocation functions and the bytes leaked at exit must agree within 0.5%.
   heaptrack's numbers are exact sums of its flame-graph output (its summary
   prints leaked bytes rounded, like "21.24K"); the summary's "calls to
   allocation functions" line is cross-checked against them.
2. Leak attribution: tests/leaky-main.c leaks from its own code, from a
   linked shared library, from a module dlopen'ed after start and from one
   dlopen'ed and dlclose'd; each leak's innermost frame must name the right
   function, file, line and module.

When the counts differ, the allocations only one side saw are listed by size
(and, for leakscope's side, by the module of the innermost frame), so that a
systematic difference can be told from noise.

usage: check-vs-heaptrack.py LEAKSCOPE LEAKY-MAIN PLUGIN.so CLOSED-PLUGIN.so
"""
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

from tap import check, done, failures

leakscope, leaky_main, plugin, closed_plugin = (os.path.abspath(a) for a in sys.argv[1:5])
TOLERANCE = 0.005
TIMEOUT = 300



def run(cmd, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", TIMEOUT)
    return subprocess.run(cmd, **kw)


# ---- leakscope side ----

def leakscope_record(trace, cmd, cwd, env, stdin=None):
    res = run([leakscope, "record", "--quiet", "-o", trace, "--", *cmd], cwd=cwd, env=env, stdin=stdin)
    rep = run([leakscope, "report", "--json", trace])
    if rep.returncode != 0:
        return res, None
    return res, json.loads(rep.stdout)


def leakscope_allocs(trace):
    """Size of every allocation (alloc and realloc events) with the module of
    its innermost frame, from `leakscope dump`."""
    out = run([leakscope, "dump", trace]).stdout
    modules, stacks, allocs = [], {}, []
    for line in out.splitlines():
        f = line.split()
        if line.startswith("  module "):
            rng = re.search(r"range=0x([0-9a-f]+)-0x([0-9a-f]+)", line)
            path = re.search(r'path="([^"]*)"', line)
            modules.append((int(rng.group(1), 16), int(rng.group(2), 16), path.group(1)))
        elif line.startswith("  stack "):
            m = re.match(r"  stack (\d+) \[(.*)\]", line)
            stacks[int(m.group(1))] = [int(x, 16) for x in m.group(2).split()]
        elif len(f) > 2 and f[0].isdigit() and f[1] in ("alloc", "realloc"):
            d = dict(x.split("=", 1) for x in f[2:])
            frames = stacks.get(int(d["stack"]), [])
            mod = "?"
            for lo, hi, path in reversed(modules):
                if frames and lo <= frames[0] < hi:
                    mod = os.path.basename(path)
                    break
            allocs.append((int(d["size"]), mod))
    return allocs


# ---- heaptrack side ----

# ---- the same environment for both ----
#
# A program may do more work when its environment is larger, and then it
# makes more allocation calls. make -j2 does: it builds each job's
# environment anew (one string per exported variable, and an array that
# grows with the number of variables), so its count grows with variables x
# jobs. The two profilers leave different environments to the program:
# `leakscope record` adds LD_PRELOAD and its LEAKSCOPE_* settings, which stay
# there so that the children it follows inherit them; heaptrack (a bash
# script) adds PWD, and its library takes LD_PRELOAD and DUMP_HEAPTRACK_OUTPUT
# out of the environment when it starts. On the Makefile below leakscope
# counted 5.6% more calls than heaptrack; the calls only it saw were, 82
# times each (once per job), the strings "LEAKSCOPE_CHILD=1" (which the
# module then set), "LEAKSCOPE_FOLLOW_FORK=1", ..., "LD_PRELOAD=...". That is make's doing, not
# a miscount: given variables of the same number and lengths, both count
# the same. So both runs get PWD, and heaptrack's also gets leakscope's
# variables: the same LEAKSCOPE_* values (nothing reads them without the
# module), and LD_PRELOAD's value as LS_PRELOAD (heaptrack's library unsets
# LD_PRELOAD whatever it holds).

def leakscope_added_env(env, tmp):
    """The variables `leakscope record` adds to (or changes in) the
    environment of the program it runs, as that program sees them."""
    res = run([leakscope, "record", "--quiet", "-o", os.path.join(tmp, "env-probe.trace"), "--",
               "/usr/bin/env", "-0"], env=env)
    seen = dict(v.split("=", 1) for v in res.stdout.split("\0") if "=" in v)
    return {k: v for k, v in seen.items() if env.get(k) != v}


def heaptrack_env(env, added, trace):
    """heaptrack's program's environment: `env` with leakscope's variables,
    LEAKSCOPE_OUTPUT naming this run's trace as it does under leakscope,
    and LD_PRELOAD's value under a name of the same length that nothing
    reads (heaptrack's library unsets LD_PRELOAD, whatever it holds)."""
    out = dict(env)
    for k, v in added.items():
        if k == "LD_PRELOAD":
            out["LS_PRELOAD"] = v
        else:
            out[k] = trace if k == "LEAKSCOPE_OUTPUT" else v
    return out


def heaptrack_record(prefix, cmd, cwd, env, stdin=None):
    res = run(["heaptrack", "-o", prefix, *cmd], cwd=cwd, env=env, stdin=stdin)
    for ext in (".zst", ".gz"):
        if os.path.exists(prefix + ext):
            return res, prefix + ext
    return res, None


def flamegraph_total(data, cost, tmp):
    out = os.path.join(tmp, f"flame-{cost}.txt")
    res = run(["heaptrack_print", "-f", data, "--disable-builtin-suppressions", "--disable-embedded-suppressions",
               "--print-peaks", "0", "--print-allocators", "0", "--print-temporary", "0",
               "--flamegraph-cost-type", cost, "-F", out])
    total = 0
    with open(out) as f:
        for line in f:
            total += int(line.rsplit(" ", 1)[1])
    return res.stdout, total


def heaptrack_numbers(data, tmp):
    summary, leaked = flamegraph_total(data, "leaked", tmp)
    _, calls = flamegraph_total(data, "allocations", tmp)
    m = re.search(r"^calls to allocation functions: (\d+)", summary, re.M)
    summary_calls = int(m.group(1)) if m else None
    m = re.search(r"^total memory leaked: (\S+)", summary, re.M)
    return calls, leaked, summary_calls, m.group(1) if m else None


def heaptrack_sizes(data):
    """Size of every allocation in heaptrack's raw data ('a' size records, '+' events)."""
    raw = run(["zstd", "-dc", data] if data.endswith(".zst") else ["gzip", "-dc", data]).stdout
    info, sizes = [], collections.Counter()
    for line in raw.splitlines():
        if line.startswith("a "):
            info.append(int(line.split()[1], 16))
        elif line.startswith("+ "):
            sizes[info[int(line.split()[1], 16)]] += 1
    return sizes


def explain(name, trace, data):
    """Prints the allocations only one side saw."""
    ls = leakscope_allocs(trace)
    ls_sizes = collections.Counter(s for s, _ in ls)
    ht_sizes = heaptrack_sizes(data)
    only_ls = ls_sizes - ht_sizes
    only_ht = ht_sizes - ls_sizes
    by_module = collections.Counter()
    left = collections.Counter(only_ls)
    for size, mod in ls:
        if left[size] > 0:
            left[size] -= 1
            by_module[mod] += 1
    print(f"# {name}: {sum(only_ls.values())} allocations only leakscope saw (by size, up to 20): "
          f"{dict(list(sorted(only_ls.items()))[:20])}")
    print(f"#   their innermost frames' modules: {dict(by_module)}")
    print(f"# {name}: {sum(only_ht.values())} allocations only heaptrack saw (by size, up to 20): "
          f"{dict(list(sorted(only_ht.items()))[:20])}")


def within(a, b):
    if a == b:
        return True, 0.0
    diff = abs(a - b) / max(a, b)
    return diff <= TOLERANCE, diff * 100


def compare(name, cmd, cwd, env, tmp, stdin_path=None, cleanup=None, expect_out=""):
    trace = os.path.join(tmp, f"{name}.trace")
    prefix = os.path.join(tmp, f"{name}.heaptrack")
    env = dict(env, PWD=cwd)  # heaptrack's script passes PWD on: both get it
    ht_env = heaptrack_env(env, leakscope_added_env(env, tmp), trace)

    def once(record, where, run_env):
        with open(stdin_path) if stdin_path else open(os.devnull) as stdin:
            res, out = record(where, cmd, cwd, run_env, stdin)
        if cleanup:
            cleanup()
        return res, out

    res, rep = once(leakscope_record, trace, env)
    check(res.returncode == 0 and rep is not None and expect_out in res.stdout,
          f"{name}: leakscope record exits {res.returncode}, prints {expect_out!r}, the trace reads "
          f"({res.stderr.strip()[:200]!r})")
    hres, data = once(heaptrack_record, prefix, ht_env)
    check(hres.returncode == 0 and data is not None and expect_out in hres.stdout,
          f"{name}: heaptrack exits {hres.returncode}, prints {expect_out!r}, writes its data "
          f"({hres.stderr.strip()[-200:]!r})")
    if rep is None or data is None:
        return
    calls, leaked, summary_calls, summary_leaked = heaptrack_numbers(data, tmp)
    check(summary_calls == calls,
          f"{name}: heaptrack's summary line 'calls to allocation functions: {summary_calls}' matches its "
          f"flame graph ({calls}); summary says leaked {summary_leaked}, exactly {leaked} B")
    check(rep["complete"] and rep["lost_events"] == 0, f"{name}: the trace is complete, nothing lost")
    ok_calls, d_calls = within(rep["allocations"], calls)
    ok_leak, d_leak = within(rep["leaked_bytes"], leaked)
    check(ok_calls, f"{name}: allocation calls: leakscope {rep['allocations']}, heaptrack {calls} "
                    f"(differ by {rep['allocations'] - calls:+d}, {d_calls:.3f}%; limit {TOLERANCE * 100}%)")
    check(ok_leak, f"{name}: leaked bytes: leakscope {rep['leaked_bytes']}, heaptrack {leaked} "
                   f"(differ by {rep['leaked_bytes'] - leaked:+d}, {d_leak:.3f}%; limit {TOLERANCE * 100}%)")
    explain(name, trace, data)


# ---- the workloads ----

SQL_ROWS = 3000


def sqlite_script(path):
    with open(path, "w") as f:
        f.write("PRAGMA journal_mode=MEMORY;\n")
        f.write("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, value REAL, tag TEXT);\n")
        f.write("CREATE INDEX t_tag ON t(tag);\nBEGIN;\n")
        for i in range(SQL_ROWS):
            f.write(f"INSERT INTO t(name, value, tag) VALUES ('name-{i:05d}', {i * 1.5}, 'tag{i % 37}');\n")
        f.write("COMMIT;\n")
        f.write("SELECT count(*), sum(value) FROM t;\n")
        f.write("SELECT tag, count(*), avg(value) FROM t GROUP BY tag ORDER BY tag;\n")
        f.write("SELECT name FROM t WHERE value > 4000 AND tag = 'tag5' ORDER BY name DESC LIMIT 10;\n")
        f.write("UPDATE t SET value = value * 2 WHERE id % 3 = 0;\n")
        f.write("DELETE FROM t WHERE id % 5 = 0;\n")
        f.write("SELECT count(*), max(value) FROM t;\n")


PY_SCRIPT = r"""
import json

words = {}
for i in range(20000):
    words['w%05d' % i] = [i, str(i * 7), (i, i + 1)]
text = json.dumps(sorted(words.items())[:5000])
back = json.loads(text)
total = sum(len(v[1][1]) for v in back)
kept = [bytes(100) for _ in range(500)]
print(len(words), len(text), total, len(kept))
"""


# Builtins only (no child processes: each profiler follows only bash); the
# leak is what bash keeps at exit: its variables, arrays, functions and the
# environment it imported (the profilers' own variables are part of that,
# some hundred bytes apart: far under the tolerance here).
BASH_SCRIPT = r"""
declare -A map
for i in {1..3000}; do map[key$i]="value $i"; s="$s$i,"; done
f() { local x="$1$1"; echo -n "${#x} "; }
for i in 1 2 3; do f abc; done
arr=(); for i in {1..1000}; do arr+=("item $i"); done
echo "${#map[@]} ${#s} ${#arr[@]}"
"""


# make -j2 on a small tree: 40 sources written, copied and concatenated,
# one shell per recipe line.
MAKEFILE = """\
OBJS := $(foreach i,$(shell seq 1 40),out/f$(i).o)
all: out/all.txt
out:
\tmkdir -p out
out/%.c: | out
\tprintf 'int f_%s(void) { return 1; }\\n' $* > $@
out/%.o: out/%.c
\tcp $< $@
out/all.txt: $(OBJS)
\tcat $^ > $@
\t@echo made
"""


def git_repo(root, env):
    """A repository of three commits, one modified and one untracked file.
    Every file's mtime is set far in the past before git sees it, so that no
    index entry is ever "racily clean": otherwise each `git status` run in the
    same second as the index's last write re-reads files and rewrites the
    index, and the work measured depends on the clock."""
    repo = os.path.join(root, "repo")
    os.makedirs(repo)

    def age():
        for name in os.listdir(repo):
            if name != ".git":
                os.utime(os.path.join(repo, name), (1000000000, 1000000000))

    g = ["git", "-c", "init.defaultBranch=main"]
    run([*g, "init", "-q", repo], env=env, check=True)
    for n in range(3):
        for k in range(6):
            with open(os.path.join(repo, f"file{k}.txt"), "a") as f:
                f.write("".join(f"commit {n} line {i} of file {k}\n" for i in range(40)))
        age()
        run(["git", "add", "."], cwd=repo, env=env, check=True)
        run(["git", "commit", "-q", "-m", f"commit {n}"], cwd=repo, env=env, check=True)
    with open(os.path.join(repo, "file0.txt"), "a") as f:
        f.write("an uncommitted change\n")
    with open(os.path.join(repo, "untracked.txt"), "w") as f:
        f.write("untracked\n")
    age()
    return repo


def hermetic_env(home):
    env = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C", "LC_ALL": "C", "TZ": "UTC",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_PAGER": "cat", "PAGER": "cat", "TERM": "dumb",
           "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
           "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org",
           "GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z",
           "PYTHONHASHSEED": "0"}
    return env


GIT_OPTS = ["-c", "core.preloadIndex=false", "-c", "core.untrackedCache=false", "-c", "core.fsmonitor=false",
            "-c", "gc.auto=0", "-c", "maintenance.auto=false", "--no-pager"]


def attribution(tmp):
    trace = os.path.join(tmp, "leaky-main.trace")
    res = run([leakscope, "record", "--quiet", "-o", trace, "--", leaky_main, plugin, closed_plugin])
    if not check(res.returncode == 0, f"leaky-main runs under leakscope record (stderr {res.stderr.strip()!r})"):
        return
    expect = json.loads(res.stdout)
    rep = run([leakscope, "report", "--json", trace])
    if not check(rep.returncode == 0, "leaky-main's trace reads"):
        return
    r = json.loads(rep.stdout)
    want = {
        "main_leak": ("leaky-main.c", leaky_main),
        "leaky_lib_leak": ("leaky-lib.c", "libleaky-lib.so"),
        "plugin_leak": ("leaky-plugin.c", plugin),
        "closed_plugin_leak": ("leaky-plugin.c", closed_plugin),
    }
    for fn, (src, module) in want.items():
        line, size = expect[fn]
        leaks = [l for l in r["leaks"] if l["stack"] and l["stack"][0]["function"] == fn]
        if not check(len(leaks) == 1, f"{fn}: one leak group whose innermost frame is {fn} ({len(leaks)})"):
            continue
        leak, top = leaks[0], leaks[0]["stack"][0]
        check(leak["bytes"] == size and leak["blocks"] == 1,
              f"{fn}: {size} bytes in 1 block (got {leak['bytes']} in {leak['blocks']})")
        check(top["file"] is not None and os.path.basename(top["file"]) == src and top["line"] == line,
              f"{fn}: at {src}:{line} (got {top['file']}:{top['line']})")
        mod = top["module"] or ""
        check(mod == module or (not module.startswith("/") and os.path.basename(mod) == module),
              f"{fn}: module {module} (got {mod})")
        callers = [f["function"] for f in leak["stack"]]
        check("main" in callers, f"{fn}: the stack reaches main ({callers[:6]})")


def main():
    for tool in ("heaptrack", "heaptrack_print", "zstd", "sqlite3", "git", "make"):
        if not shutil.which(tool):
            check(False, f"{tool} is installed (Debian packages: heaptrack sqlite3 git zstd make)")
    if failures():
        return
    with tempfile.TemporaryDirectory(prefix="ls-vs-ht-") as tmp:
        attribution(tmp)

        home = os.path.join(tmp, "home")
        os.makedirs(home)
        env = hermetic_env(home)

        work = os.path.join(tmp, "sqlite")
        os.makedirs(work)
        script = os.path.join(work, "script.sql")
        sqlite_script(script)
        # A fresh database for each run, at the same path (its length is in
        # sqlite's allocations).
        db = os.path.join(work, "test.db")
        compare("sqlite3", ["sqlite3", "-batch", "-init", "/dev/null", db], work, env, tmp, stdin_path=script,
                cleanup=lambda: os.unlink(db), expect_out="3000|")

        # Script files: heaptrack cannot parse a command line with newlines in it.
        for name, script, cmd, out in (("python3", PY_SCRIPT, ["/usr/bin/python3", "-S", "-s"], "20000 "),
                                       ("bash", BASH_SCRIPT, ["/bin/bash", "--norc", "--noprofile"], "3000 ")):
            work = os.path.join(tmp, name)
            os.makedirs(work)
            with open(os.path.join(work, "script"), "w") as f:
                f.write(script)
            compare(name, [*cmd, "script"], work, env, tmp, expect_out=out)

        # Warm up: the first `git status` after a commit refreshes the index
        # (and writes it); every later run then does the same work.
        repo = git_repo(tmp, env)
        for _ in range(2):
            run(["git", *GIT_OPTS, "status"], cwd=repo, env=env, check=True)
            run(["git", *GIT_OPTS, "log", "--stat"], cwd=repo, env=env, check=True)
        compare("git-log", ["git", *GIT_OPTS, "log", "--stat", "--format=%H %an %s"], repo, env, tmp,
                expect_out="commit 2")
        compare("git-status", ["git", *GIT_OPTS, "status", "--porcelain=v1"], repo, env, tmp,
                expect_out="?? untracked.txt")

        mkwork = os.path.join(tmp, "make")
        os.makedirs(mkwork)
        with open(os.path.join(mkwork, "Makefile"), "w") as f:
            f.write(MAKEFILE)
        compare("make-j2", ["make", "-j2", "-s"], mkwork, env, tmp,
                cleanup=lambda: shutil.rmtree(os.path.join(mkwork, "out")), expect_out="made")


main()
done()
