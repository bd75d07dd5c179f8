"""The one table: rows of figures with their target and verdict, aligned for a terminal and
valid as a Markdown table for the README."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    figure: str  # "1", "2", ...
    measure: str
    bot: str
    bare: str = ""
    ratio: str = ""
    target: str = ""
    result: str = ""


HEADER = Row("#", "Measure", "milestone-bot", "bare Bolt", "ratio", "target", "result")


def ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "n/a"
    value = seconds * 1000
    return f"{value:.0f} ms" if value >= 100 else f"{value:.1f} ms"


def times(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.2f}×"


def verdict(passed: bool | None) -> str:
    if passed is None:
        return "n/a"
    return "PASS" if passed else "MISS"


def render(rows: list[Row]) -> str:
    cells = [
        [r.figure, r.measure, r.bot, r.bare, r.ratio, r.target, r.result] for r in [HEADER, *rows]
    ]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADER.__dict__))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)
