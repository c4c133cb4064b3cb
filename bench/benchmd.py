"""The one rule for a bench script's section of BENCHMARKS.md: the text
between its two markers is the script's, everything else in the file (notes
by hand after the end marker, other sections) is kept."""
import os


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
