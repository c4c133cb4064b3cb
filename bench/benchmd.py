"""The one rule for a bench script's section of BENCHMARKS.md: the text
between its two markers is the script's, everything else in the file (notes
by hand after the end marker, other sections) is kept."""
import os
import subprocess
import time


def write_section(path, begin, end, section):
    """Puts `section` (which starts with `begin` and ends with `end`) where
    the markers are in `path`, or at the end of it."""
    text = open(path).read() if os.path.exists(path) else ""
    if begin in text and end in text:
        text = text[:text.index(begin)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    open(path, "w").write(text)
    print(f"wrote {path}")


def measure(cmd, env=None):
    """CPU seconds (user+sys) of the child, its threads and the children it
    waited for, wall seconds, and its peak RSS in KiB (from wait4)."""
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.monotonic() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed with exit code {proc.returncode}")
    return ru.ru_utime + ru.ru_stime, wall, ru.ru_maxrss
