"""Chart images for the report documents: matplotlib figures as PNG, labelled in Chinese.

Figures are built with matplotlib's object API (no pyplot), so rendering keeps no global state
and two requests can render at once. Every text element names the Chinese font itself instead
of changing `rcParams`, which are shared by all threads.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from core.errors import ConfigError
from core.settings import PROJECT_ROOT

FONT_DIR = PROJECT_ROOT / "dashboards" / "static" / "vendor"
FONT_FILES = ("NotoSansSC_400Regular.ttf", "NotoSansSC_700Bold.ttf")
DPI = 150
NEGATIVE, NEUTRAL, POSITIVE, ACCENT = "#c0392b", "#a6acaf", "#27ae60", "#2e6da4"

_registered: dict[Path, str] = {}
_lock = threading.Lock()


def chinese_font(font_dir: Path = FONT_DIR) -> str:
    """Register the Noto Sans SC files of `font_dir` with matplotlib once; returns the family.

    A missing file is an error: without it every Chinese label would be drawn as empty boxes.
    """
    with _lock:
        if font_dir in _registered:
            return _registered[font_dir]
        missing = [name for name in FONT_FILES if not (font_dir / name).is_file()]
        if missing:
            raise ConfigError(
                f"the Chinese font for report charts is missing ({font_dir / missing[0]});"
                " run `make install` to fetch it"
            )
        for name in FONT_FILES:
            font_manager.fontManager.addfont(str(font_dir / name))
        family = font_manager.FontProperties(fname=str(font_dir / FONT_FILES[0])).get_name()
        _registered[font_dir] = family
        return family


def hourly_volume(counts: Sequence[int], *, title: str) -> bytes:
    """Posts per hour of one day (24 counts, 0 to 23 o'clock) as bars."""
    family = chinese_font()
    figure, axes = _figure(family)
    axes.bar(range(24), counts, color=ACCENT, width=0.75)
    axes.set_xticks(range(0, 24, 2), [f"{h}时" for h in range(0, 24, 2)])
    axes.set_xlim(-0.6, 23.6)
    axes.set_ylabel("帖子数", fontfamily=family)
    axes.set_title(title, fontfamily=family, fontsize=11)
    return _png(figure)


def sentiment_trend(
    days: Sequence[str],
    negative: Sequence[int],
    neutral: Sequence[int],
    positive: Sequence[int],
    *,
    title: str,
) -> bytes:
    """Posts per day split by sentiment band (stacked bars), and the negative share (line)."""
    family = chinese_font()
    figure, axes = _figure(family)
    slots = range(len(days))
    axes.bar(slots, negative, color=NEGATIVE, label="负面")
    below = list(negative)
    axes.bar(slots, neutral, bottom=below, color=NEUTRAL, label="中性")
    below = [a + b for a, b in zip(below, neutral, strict=True)]
    axes.bar(slots, positive, bottom=below, color=POSITIVE, label="正面")
    axes.set_xticks(slots, list(days))
    axes.set_ylabel("帖子数", fontfamily=family)
    share = axes.twinx()
    totals = [a + b + c for a, b, c in zip(negative, neutral, positive, strict=True)]
    shares = [100 * n / t if t else 0.0 for n, t in zip(negative, totals, strict=True)]
    share.plot(slots, shares, color="#222222", marker="o", linewidth=1.5, label="负面占比")
    share.set_ylim(0, 100)
    share.spines["top"].set_visible(False)
    share.set_ylabel("负面占比（%）", fontfamily=family)
    share.tick_params(labelfontfamily=family, labelsize=8)
    handles = axes.get_legend_handles_labels()[0] + share.get_legend_handles_labels()[0]
    axes.legend(
        handles=handles,
        loc="upper left",
        ncols=4,
        frameon=False,
        prop={"family": family, "size": 8},
    )
    axes.set_ylim(0, max(totals or [0]) * 1.25 or 1)
    axes.set_title(title, fontfamily=family, fontsize=11)
    return _png(figure)


def department_scores(names: Sequence[str], scores: Sequence[float], *, title: str) -> bytes:
    """Each department's ranking score out of 100, best at the top."""
    family = chinese_font()
    figure, axes = _figure(family, height=max(2.4, 0.42 * len(names) + 1.0), grid="x")
    slots = range(len(names))
    axes.barh(slots, scores, color=ACCENT, height=0.6)
    axes.set_yticks(slots, list(names))
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("综合得分", fontfamily=family)
    for slot, value in zip(slots, scores, strict=True):
        axes.text(value + 1, slot, f"{value:.1f}", va="center", fontfamily=family, fontsize=8)
    axes.set_title(title, fontfamily=family, fontsize=11)
    return _png(figure)


def _figure(
    family: str, *, height: float = 3.0, grid: Literal["x", "y"] = "y"
) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(6.4, height), dpi=DPI, layout="constrained")
    axes = figure.add_subplot()
    axes.tick_params(labelfontfamily=family, labelsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis=grid, color="#e5e5e5", linewidth=0.6)
    axes.set_axisbelow(True)
    return figure, axes


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()
