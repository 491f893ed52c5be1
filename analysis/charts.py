"""Report charts as inline SVG, drawn server-side with matplotlib: a report opens offline, with no
script from anywhere, and can be archived as one file."""

from __future__ import annotations

import io
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")  # no display: files only

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

plt.rcParams.update({"svg.fonttype": "path", "font.family": "DejaVu Sans", "font.size": 9, "svg.hashsalt": "appeals"})


def _svg(figure: Figure, chart_id: str, title: str) -> str:
    """The figure as an <svg> element (no XML prolog) carrying an id and a title for readers and tests."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(figure)
    text = buffer.getvalue()
    svg = text[text.index("<svg") :]
    return svg.replace("<svg ", f'<svg id="{chart_id}" role="img" aria-label="{title}" ', 1)


def bars_over_time(chart_id: str, title: str, points: Sequence[tuple[str, int]]) -> str:
    figure, axes = plt.subplots(figsize=(7, 2.6))
    labels = [p[0] for p in points] or ["—"]
    values = [p[1] for p in points] or [0]
    axes.bar(labels, values, color="#3b6ea5")
    axes.set_title(title)
    axes.tick_params(axis="x", labelrotation=45)
    for x, v in enumerate(values):
        axes.annotate(str(v), (x, v), ha="center", va="bottom", fontsize=7)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure, chart_id, title)


def heat_map(
    chart_id: str, title: str, rows: Sequence[str], columns: Sequence[str], cells: dict[tuple[str, str], int]
) -> str:
    figure, axes = plt.subplots(figsize=(max(4.0, 0.9 * len(columns) + 2), max(2.0, 0.35 * len(rows) + 1)))
    grid = [[cells.get((r, c), 0) for c in columns] for r in rows] or [[0]]
    image = axes.imshow(grid, cmap="Oranges", aspect="auto")
    axes.set_xticks(range(len(columns)), list(columns), rotation=30, ha="right")
    axes.set_yticks(range(len(rows)), list(rows))
    peak = max((max(line) for line in grid), default=0) or 1
    for i, line in enumerate(grid):
        for j, value in enumerate(line):
            axes.text(
                j, i, str(value), ha="center", va="center", fontsize=7, color="white" if value > peak / 2 else "black"
            )
    axes.set_title(title)
    figure.colorbar(image, ax=axes, shrink=0.8)
    return _svg(figure, chart_id, title)


def shares(chart_id: str, title: str, points: Sequence[tuple[str, float]]) -> str:
    """Horizontal bars of shares (0..1), e.g. answered on time by executor."""
    figure, axes = plt.subplots(figsize=(7, max(1.6, 0.32 * len(points) + 0.8)))
    labels = [p[0] for p in points] or ["—"]
    values = [100 * p[1] for p in points] or [0.0]
    axes.barh(labels, values, color=["#2e7d32" if v >= 90 else "#f9a825" if v >= 70 else "#c62828" for v in values])
    axes.set_xlim(0, 100)
    axes.invert_yaxis()
    for y, v in enumerate(values):
        axes.annotate(f"{v:.0f}%", (v, y), va="center", ha="left", fontsize=7)
    axes.set_title(title)
    axes.spines[["top", "right"]].set_visible(False)
    return _svg(figure, chart_id, title)
