"""A small self-contained HTML report: a title, sections of text, key/value tables, images and
metrics tables, written atomically next to the images it shows.

>>> report = HtmlReport("Analysis of clip.mp4")                          # doctest: +SKIP
>>> report.section("Prediction").key_values({"class": "surprise"})        # doctest: +SKIP
>>> report.images([("flow.png", "onset→apex flow")])                      # doctest: +SKIP
>>> report.write("out/index.html")                                       # doctest: +SKIP

Image paths are relative to the HTML file's folder; :meth:`HtmlReport.write` refuses to write a
page that shows an image which is not there, so a report never has broken pictures.
"""
from __future__ import annotations

import html
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from ..errors import DataError
from ..io import atomic_write_text

#: Metric columns shown by :meth:`HtmlReport.metrics_table`, in order, with their headers.
METRIC_COLUMNS: tuple[tuple[str, str], ...] = (("uf1", "UF1"), ("uar", "UAR"), ("accuracy", "accuracy"))

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1100px;
       color: #222; line-height: 1.4; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 1.6em;
     border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
table { border-collapse: collapse; margin: 0.6em 0; } td, th { border: 1px solid #ccc; padding: 0.25em 0.7em;
        text-align: left; vertical-align: top; } th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.highlight td { font-weight: bold; background: #eef6ee; }
.figures { display: flex; flex-wrap: wrap; gap: 1em; } figure { margin: 0; }
figure img { image-rendering: pixelated; border: 1px solid #ccc; max-width: 100%; }
figcaption { font-size: 0.85em; color: #555; max-width: 420px; }
.note { background: #fff6e0; border-left: 4px solid #e0a800; padding: 0.5em 0.8em; }
.muted { color: #666; font-size: 0.9em; }
"""


def _cell(value, digits: int) -> tuple[str, bool]:
    """Text of a table cell and whether it is a number (right-aligned)."""
    if isinstance(value, bool) or value is None:
        return ("" if value is None else str(value)), False
    if isinstance(value, float):
        return f"{value:.{digits}f}", True
    if isinstance(value, int):
        return str(value), True
    try:  # numpy scalars without importing numpy here
        if hasattr(value, "item"):
            return _cell(value.item(), digits)
    except (TypeError, ValueError):
        pass
    return str(value), False


class HtmlReport:
    """Blocks of HTML added in order; every text is escaped, so file names and labels are safe."""

    def __init__(self, title: str, subtitle: str = ""):
        self.title = title
        self.subtitle = subtitle
        self._blocks: list[str] = []
        self._images: list[str] = []

    # ------------------------------------------------------------------ blocks
    def section(self, heading: str) -> "HtmlReport":
        self._blocks.append(f"<h2>{html.escape(heading)}</h2>")
        return self

    def paragraph(self, text: str, *, note: bool = False, muted: bool = False) -> "HtmlReport":
        """A paragraph of plain text; ``note`` shows it as a warning box."""
        cls = ' class="note"' if note else (' class="muted"' if muted else "")
        self._blocks.append(f"<p{cls}>{html.escape(text)}</p>")
        return self

    def key_values(self, items: Mapping[str, object], *, digits: int = 4) -> "HtmlReport":
        """A two-column table: one row per key."""
        rows = []
        for key, value in items.items():
            text, numeric = _cell(value, digits)
            cls = ' class="num"' if numeric else ""
            rows.append(f"<tr><th>{html.escape(str(key))}</th><td{cls}>{html.escape(text)}</td></tr>")
        self._blocks.append("<table>" + "".join(rows) + "</table>")
        return self

    def table(self, rows: Sequence[Mapping[str, object]], columns: Sequence[str] | None = None, *,
              digits: int = 4, highlight: Iterable[int] = ()) -> "HtmlReport":
        """A table of records (one mapping per row); ``highlight`` marks rows by position."""
        rows = list(rows)
        if columns is None:
            columns = list(dict.fromkeys(k for r in rows for k in r))
        marked = set(highlight)
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
        body = []
        for i, r in enumerate(rows):
            cells = []
            for c in columns:
                text, numeric = _cell(r.get(c), digits)
                cls = ' class="num"' if numeric else ""
                cells.append(f"<td{cls}>{html.escape(text)}</td>")
            row_cls = ' class="highlight"' if i in marked else ""
            body.append(f"<tr{row_cls}>" + "".join(cells) + "</tr>")
        self._blocks.append(f"<table><tr>{head}</tr>{''.join(body)}</table>")
        return self

    def metrics_table(self, metrics: Mapping[str, object], *, digits: int = 4) -> "HtmlReport":
        """Rows ``full`` then each database of an evaluation's ``metrics.json`` (parts holding
        ``uf1``/``uar``/``accuracy``, with ``_std`` columns shown as ± when present)."""
        parts = [p for p in metrics if isinstance(metrics[p], Mapping) and "uf1" in metrics[p]]
        parts = (["full"] if "full" in parts else []) + sorted(p for p in parts if p != "full")
        rows = []
        for part in parts:
            m = metrics[part]
            row = {"part": part}
            for key, header in METRIC_COLUMNS:
                if key in m:
                    std = m.get(key + "_std")
                    row[header] = f"{float(m[key]):.{digits}f}" + (f" ± {float(std):.{digits}f}" if std is not None else "")
            rows.append(row)
        return self.table(rows, ["part"] + [h for _, h in METRIC_COLUMNS])

    def images(self, figures: Sequence[tuple[str, str]], *, height: int | None = None) -> "HtmlReport":
        """A row of ``(relative path, caption)`` figures."""
        items = []
        for src, caption in figures:
            src = Path(src).as_posix()
            self._images.append(src)
            size = f' height="{int(height)}"' if height else ""
            items.append(f'<figure><img src="{html.escape(src, quote=True)}" alt="{html.escape(caption, quote=True)}"{size}>'
                         f"<figcaption>{html.escape(caption)}</figcaption></figure>")
        self._blocks.append('<div class="figures">' + "".join(items) + "</div>")
        return self

    def raw(self, fragment: str) -> "HtmlReport":
        """Trusted HTML made by the caller (not escaped)."""
        self._blocks.append(fragment)
        return self

    # ------------------------------------------------------------------ output
    @property
    def image_paths(self) -> list[str]:
        """Relative paths of every image the page shows."""
        return list(self._images)

    def render(self) -> str:
        sub = f'<p class="muted">{html.escape(self.subtitle)}</p>' if self.subtitle else ""
        return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{html.escape(self.title)}</title>'
                f"<style>{_STYLE}</style></head><body>\n<h1>{html.escape(self.title)}</h1>{sub}\n"
                + "\n".join(self._blocks) + "\n</body></html>\n")

    def write(self, path: str | Path) -> Path:
        """Write the page atomically; raises :class:`DataError` naming an image that is missing."""
        path = Path(path)
        for src in self._images:
            if not (path.parent / src).is_file():
                raise DataError(f"report shows image {src!r}, which is not in {path.parent}", path)
        return atomic_write_text(path, self.render())
