"""`python -m bench.profile FILE...`: where a server's CPU went, from py-spy's raw stacks.

`python -m bench --only 2 --profile DIR` writes one file of collapsed stacks per server
(`frame;frame;... count`, idle threads left out). This reads them and prints two lists as
shares of the samples: the functions that were on the CPU themselves (self), and the
project's own frames (bot/, flows/) with everything they called (inclusive), so a cost
shows both where it is spent and which of our calls asked for it.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")
_OURS = ("bot/", "flows/", "bench/")  # py-spy names files relative to their sys.path entry


def read_stacks(paths: list[Path]) -> Counter[tuple[str, ...]]:
    stacks: Counter[tuple[str, ...]] = Counter()
    for path in paths:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit():
                stacks[tuple(stack.split(";"))] += int(count)
    return stacks


def short(frame: str) -> str:
    """`function (path:line)` as `function (package/module.py)`."""
    match = _FRAME.match(frame)
    if not match:
        return frame
    file = match["file"]
    for marker in ("site-packages/", "/main/", "/lib/python3"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{match['function']} ({file})"


def ours(frame: str) -> bool:
    match = _FRAME.match(frame)
    return bool(match) and match["file"].startswith(_OURS)


def breakdown(
    stacks: Counter[tuple[str, ...]], under: str = "", without: str = ""
) -> tuple[int, Counter[str], Counter[str]]:
    """Total samples, self samples per function, inclusive samples per project frame, of the
    stacks that pass through a frame containing `under` (all of them if it is empty) and
    through none containing `without`."""
    total = 0
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for stack, count in stacks.items():
        frames = [f for f in stack if not f.startswith(("process ", "thread "))]
        if under and not any(part in f for f in frames for part in under.split("|")):
            continue
        if without and any(without in f for f in frames):
            continue
        total += count
        if frames:
            own[short(frames[-1])] += count
        for frame in {short(f) for f in frames if ours(f)}:
            inclusive[frame] += count
    return total, own, inclusive


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("files", nargs="+", type=Path, help="py-spy raw output files")
    parser.add_argument("--top", type=int, default=25, help="rows per list (default 25)")
    parser.add_argument(
        "--under",
        default="",
        help="only stacks through a frame containing this text (or one of several, split by "
        "|), e.g. 'gthread.py|futures/thread.py': requests and listeners being served",
    )
    parser.add_argument(
        "--without",
        default="_find_and_load",
        help="leave out stacks through a frame containing this text (default: imports, "
        "which are start-up; '' keeps them)",
    )
    args = parser.parse_args(argv)
    stacks = read_stacks(args.files)
    total, own, inclusive = breakdown(stacks, args.under, args.without)
    if not total:
        print("no samples")
        return 1
    everything = sum(stacks.values())
    print(f"{total} samples of {everything} ({100 * total / everything:.0f}%)")
    for title, counts in (("self", own), ("inclusive, project frames", inclusive)):
        print(f"\n{title}:")
        for name, count in counts.most_common(args.top):
            print(f"{100 * count / total:6.1f}%  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
