"""The results chart: a horizontal bar PNG of the ranking, with Chinese labels.

A CJK font is looked up, never assumed (CI installs `fonts-wqy-microhei`). Without one we log a
warning and still render (labels may show boxes): the text results go out either way.

Drawing takes tens to hundreds of milliseconds of CPU (more the first time, loading
matplotlib): handlers and jobs call `await render_ranking_async(...)`, which draws on a worker
thread so every other chat is answered meanwhile. One chart at a time: matplotlib's settings
(`rc_context`) and font cache are process-wide.
"""

from __future__ import annotations

import asyncio
import io
import logging
import threading
from dataclasses import dataclass, field
from functools import cache
from types import ModuleType

log = logging.getLogger(__name__)
_drawing = threading.Lock()


@cache
def _matplotlib() -> ModuleType:
    """matplotlib costs ~50 MB of memory: load it the first time a chart is drawn, not at
    start-up (most of the bot's life has no chart to draw)."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers
    return matplotlib


PREFERRED = (
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Serif CJK SC",
    "Droid Sans Fallback",
    "AR PL UMing CN",
    "AR PL UKai CN",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
)
_PROBE = "菜单改造楼"  # characters any usable font must have


def _covers(path: str) -> bool:
    try:
        from matplotlib.ft2font import FT2Font

        charmap = FT2Font(path).get_charmap()
    except Exception:  # unreadable or collection files we cannot probe
        return False
    return all(ord(c) in charmap for c in _PROBE)


@cache
def cjk_font() -> str | None:
    """Family name of an installed font that covers Chinese, or None."""
    _matplotlib()
    from matplotlib import font_manager

    manager = font_manager.fontManager
    by_name = {f.name: f.fname for f in manager.ttflist}
    for name in PREFERRED:
        if name in by_name and _covers(by_name[name]):
            return name
    # matplotlib's font cache may predate the font's installation: scan the system fonts.
    for path in font_manager.findSystemFonts():
        lower = path.lower()
        if any(
            k in lower for k in ("wqy", "cjk", "hei", "han", "droid", "uming", "ukai")
        ) and _covers(path):
            try:
                manager.addfont(path)
                return font_manager.FontProperties(fname=path).get_name()
            except Exception:
                continue
    log.warning(
        "no CJK font found: chart labels may show boxes "
        "(install fonts-wqy-microhei or fonts-noto-cjk)"
    )
    return None


@dataclass(frozen=True)
class Chart:
    png: bytes
    labels: list[str]  # y-axis labels, top to bottom, as drawn
    font: str | None
    xticks: list[float] = field(default_factory=list)  # household axis, as drawn
    xlabel: str = ""


def render_ranking(
    title: str,
    labels: list[str],
    values: list[int],
    annotations: list[str] | None = None,
    xlabel: str = "",
) -> Chart:
    """Bars top-to-bottom in the given order (the ranking); values at the bar ends.

    Blocks for the drawing: from async code use `render_ranking_async`."""
    with _drawing:
        return _draw(title, labels, values, annotations, xlabel)


async def render_ranking_async(
    title: str,
    labels: list[str],
    values: list[int],
    annotations: list[str] | None = None,
    xlabel: str = "",
) -> Chart:
    """`render_ranking` on a worker thread: the event loop goes on answering other chats."""
    return await asyncio.to_thread(render_ranking, title, labels, values, annotations, xlabel)


def _draw(
    title: str,
    labels: list[str],
    values: list[int],
    annotations: list[str] | None,
    xlabel: str,
) -> Chart:
    matplotlib = _matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    font = cjk_font()
    rc = {
        "font.family": [font, "DejaVu Sans"] if font else ["DejaVu Sans"],
        "axes.unicode_minus": False,
    }
    with matplotlib.rc_context(rc):
        height = max(2.5, 0.5 * len(labels) + 1.2)
        fig = Figure(figsize=(8, height), dpi=110)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        positions = list(range(len(labels)))
        ax.barh(positions, values, color="#3b7dd8")
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()  # the most ordered on top
        top = max(values, default=0)
        ax.set_xlim(0, max(1, top) * 1.25)
        # Households are whole: no 0.5 户 on the axis, however few ordered.
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        for y, (v, note) in enumerate(zip(values, annotations or [""] * len(values), strict=True)):
            ax.text(v + max(1, top) * 0.01, y, f"{v} {note}".strip(), va="center", fontsize=9)
        ax.set_title(title)
        if xlabel:
            ax.set_xlabel(xlabel)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        fig.tight_layout()
        drawn = [t.get_text() for t in ax.get_yticklabels()]
        ticks = [float(t) for t in ax.get_xticks() if 0 <= t <= ax.get_xlim()[1]]
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
    return Chart(buffer.getvalue(), drawn, font, ticks, ax.get_xlabel())
