"""The interactive page of a whole recording's analysis: one self-contained ``index.html`` that opens
from disk (no server, nothing fetched from the network), after coverage.py's HTML report.

>>> write_recording_page(report, Path("reports/session1"))      # doctest: +SKIP
PosixPath('reports/session1/index.html')

The page draws the report dict it embeds (a ``<script type="application/json">`` block): a header
with the recogniser, its leave-one-subject-out estimate and the spotter; a timeline of the whole
recording (spotting signals, face-tracking gaps, micro and macro intervals coloured by class, the
ground truth in a lane of its own); a table of the intervals and a panel with the selected one's
frames, pictures, class scores, action units, tracking quality and flags. With ground truth the
header gives the MEGC spotting scores against it and the table says which intervals match it. Click an interval on the
timeline or in the table, or step with ``j``/``k`` (or the arrow keys). ``#interval-<id>`` in the
address selects that interval when the page opens.

The report dict (``rel`` is a path relative to ``out_dir``, forward slashes, no ``..``; the pictures
and the CSV are written by the caller, this module only links to them)::

    {"title": str,
     "recording": {"source": str, "frames": int, "fps": float, "duration_s": float,
                   "width": int, "height": int},
     "model": {"name": str, "classes": [str], "trained_on": str,
               "loso": {"uf1": float, "uar": float} | None,   # leave-one-subject-out estimate
               "estimate_caption": str | None,  # what "loso" is when it is another held-out estimate
               "au_model": str | None},
     "spotter": {"name": str, "trained_on": str, "description": str},
     "signal": {"frame_step": int, "micro": [float], "macro": [float]},
               # spotting signals sampled every frame_step frames (keep it to ~5000 points);
               # NaN (no face) is drawn as a break in the line
     "tracking": {"face_found_fraction": float, "gaps": [[first_frame, last_frame], ...]},
     "intervals": [{"id": int, "type": "micro" | "macro", "onset": int, "apex": int, "offset": int,
                    "score": float,
                    # optional, with these defaults:
                    "label": None, "class_scores": None,   # {class: float}
                    "aus": [], "tracking_quality": None,    # fraction of the interval's frames tracked
                    "flags": [],                           # e.g. "poor_tracking", "face_partly_outside"
                    "pictures": {},                        # {"onset"|"apex"|"flow"|"strain": rel}
                    "truth_match": None}],                 # position in ground_truth it matches
     # optional:
     "exports": {"csv": rel, "json": rel},   # json defaults to "report.json", which this module writes
     "ground_truth": [{"type": "micro" | "macro", "onset": int, "offset": int,
                       "row": int | None}] | None,         # row: of the sheet it came from
     "truth_scores": {"micro" | "macro" | "overall": {"tp": int, "fp": int, "fn": int,
                      "precision": float, "recall": float, "f1": float}} | None,
     "notes": [str]}

Frames are 0-based and intervals inclusive: ``0 <= onset <= apex <= offset < frames``. Numbers may be
numpy scalars; non-finite floats are written as ``null`` (the JSON standard has no NaN).
"""
from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path, PurePosixPath
from typing import Any, Mapping
from urllib.parse import quote

from ..errors import DataError
from ..io import atomic_write_json, atomic_write_text, plain
from .recording_page_assets import SCRIPT, STYLE

INTERVAL_TYPES: tuple[str, ...] = ("micro", "macro")
PICTURE_KINDS: tuple[str, ...] = ("onset", "apex", "flow", "strain")
DEFAULT_JSON_EXPORT = "report.json"

_NUMBER = (int, float)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


# ---------------------------------------------------------------------------------------- checks
def _where(path: tuple) -> str:
    return "report" + "".join(f"[{p!r}]" for p in path)


def _kind_name(kinds: tuple) -> str:
    if kinds == _NUMBER:
        return "a number"
    return " or ".join({int: "an integer", float: "a number", str: "a string", list: "a list",
                        dict: "a mapping", type(None): "null"}[k] for k in kinds)


def _value(obj: Mapping, key: str, kinds: tuple, path: tuple, *, optional: bool = False, default: Any = None) -> Any:
    """``obj[key]`` checked to be one of ``kinds`` (bool is never a number here)."""
    if key not in obj:
        if optional:
            return default
        raise DataError(f"{_where(path)}: {key!r} is missing")
    value = obj[key]
    if value is None and optional:
        return default
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise DataError(f"{_where(path + (key,))}: expected {_kind_name(kinds)}, got {type(value).__name__} {value!r:.60}")
    return value


def _mapping(obj: Mapping, key: str, path: tuple, *, optional: bool = False) -> dict | None:
    return _value(obj, key, (dict,), path, optional=optional)


def _relative(value: Any, path: tuple) -> str:
    """A path relative to the page's folder, usable as a link from it."""
    if not isinstance(value, str) or not value:
        raise DataError(f"{_where(path)}: expected a relative path, got {value!r:.60}")
    parts = PurePosixPath(value).parts
    if "\\" in value or _SCHEME.match(value) or value.startswith("/") or ".." in parts:
        raise DataError(f"{_where(path)}: expected a path inside the page's folder (forward slashes, no '..', "
                        f"not absolute, not a URL), got {value!r}")
    return value


def _finite(obj: Any) -> Any:
    """``obj`` with NaN and infinities replaced by None."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


def _check_interval(iv: Any, i: int, frames: int) -> dict:
    path = ("intervals", i)
    if not isinstance(iv, dict):
        raise DataError(f"{_where(path)}: expected a mapping, got {type(iv).__name__}")
    _value(iv, "id", (int,), path)
    kind = _value(iv, "type", (str,), path)
    if kind not in INTERVAL_TYPES:
        raise DataError(f"{_where(path + ('type',))}: expected one of {INTERVAL_TYPES}, got {kind!r}")
    onset, apex, offset = (_value(iv, k, (int,), path) for k in ("onset", "apex", "offset"))
    if not 0 <= onset <= apex <= offset < frames:
        raise DataError(f"{_where(path)}: expected 0 <= onset <= apex <= offset < frames ({frames}), "
                        f"got onset {onset}, apex {apex}, offset {offset}")
    _value(iv, "score", _NUMBER, path)
    out = dict(iv)
    out["label"] = _value(iv, "label", (str,), path, optional=True)
    scores = _value(iv, "class_scores", (dict,), path, optional=True)
    if scores is not None:
        for name in scores:
            _value(scores, name, _NUMBER, path + ("class_scores",))
    out["class_scores"] = scores
    out["aus"] = [str(a) for a in _value(iv, "aus", (list,), path, optional=True, default=[])]
    out["tracking_quality"] = _value(iv, "tracking_quality", _NUMBER, path, optional=True)
    out["flags"] = [str(f) for f in _value(iv, "flags", (list,), path, optional=True, default=[])]
    pictures = _value(iv, "pictures", (dict,), path, optional=True, default={})
    unknown = set(pictures) - set(PICTURE_KINDS)
    if unknown:
        raise DataError(f"{_where(path + ('pictures',))}: unknown picture kinds {sorted(unknown)}, expected {PICTURE_KINDS}")
    out["pictures"] = {k: _relative(v, path + ("pictures", k)) for k, v in pictures.items() if v is not None}
    match = _value(iv, "truth_match", (int,), path, optional=True)
    if match is not None and match < 0:
        raise DataError(f"{_where(path + ('truth_match',))}: expected a position in ground_truth, got {match}")
    out["truth_match"] = match
    return out


def check_recording_report(report: Mapping) -> dict:
    """The report as plain JSON-ready data with defaults filled in; raises :class:`DataError` naming
    the first missing or malformed entry (e.g. ``report['intervals'][3]['apex']``)."""
    if not isinstance(report, Mapping):
        raise DataError(f"report: expected a mapping, got {type(report).__name__}")
    rep = _finite(plain(dict(report)))
    _value(rep, "title", (str,), ())
    rec = _mapping(rep, "recording", ())
    _value(rec, "source", (str,), ("recording",))
    frames = _value(rec, "frames", (int,), ("recording",))
    fps = _value(rec, "fps", _NUMBER, ("recording",))
    for key in ("duration_s", "width", "height"):
        _value(rec, key, _NUMBER, ("recording",))
    if frames <= 0 or fps <= 0:
        raise DataError(f"{_where(('recording',))}: expected frames > 0 and fps > 0, got {frames} and {fps}")

    model = _mapping(rep, "model", ())
    _value(model, "name", (str,), ("model",))
    _value(model, "trained_on", (str,), ("model",))
    classes = _value(model, "classes", (list,), ("model",))
    for i, name in enumerate(classes):
        if not isinstance(name, str):
            raise DataError(f"{_where(('model', 'classes', i))}: expected a class name, got {name!r}")
    loso = _mapping(model, "loso", ("model",), optional=True)
    if loso is not None:
        for key in ("uf1", "uar"):
            _value(loso, key, _NUMBER, ("model", "loso"))
    model["loso"] = loso
    model["estimate_caption"] = _value(model, "estimate_caption", (str,), ("model",), optional=True)
    model["au_model"] = _value(model, "au_model", (str,), ("model",), optional=True)

    spotter = _mapping(rep, "spotter", ())
    for key in ("name", "trained_on", "description"):
        _value(spotter, key, (str,), ("spotter",))

    signal = _mapping(rep, "signal", ())
    if _value(signal, "frame_step", (int,), ("signal",)) < 1:
        raise DataError(f"{_where(('signal', 'frame_step'))}: expected an integer >= 1, got {signal['frame_step']}")
    for key in ("micro", "macro"):
        for j, v in enumerate(_value(signal, key, (list,), ("signal",))):
            if v is not None and (isinstance(v, bool) or not isinstance(v, _NUMBER)):
                raise DataError(f"{_where(('signal', key, j))}: expected a number, got {v!r:.60}")

    tracking = _mapping(rep, "tracking", ())
    _value(tracking, "face_found_fraction", _NUMBER, ("tracking",))
    for j, gap in enumerate(_value(tracking, "gaps", (list,), ("tracking",))):
        if not (isinstance(gap, list) and len(gap) == 2 and all(isinstance(g, int) and not isinstance(g, bool) for g in gap)
                and gap[0] <= gap[1]):
            raise DataError(f"{_where(('tracking', 'gaps', j))}: expected [first_frame, last_frame], got {gap!r:.60}")

    intervals = [_check_interval(iv, i, frames) for i, iv in enumerate(_value(rep, "intervals", (list,), ()))]
    seen: dict[int, int] = {}
    for i, iv in enumerate(intervals):
        if iv["id"] in seen:
            raise DataError(f"{_where(('intervals', i, 'id'))}: id {iv['id']} is also interval {seen[iv['id']]}'s")
        seen[iv["id"]] = i
    rep["intervals"] = intervals

    exports = _mapping(rep, "exports", (), optional=True) or {}
    rep["exports"] = {k: _relative(v, ("exports", k)) for k, v in exports.items() if v is not None}
    rep["exports"].setdefault("json", DEFAULT_JSON_EXPORT)

    truth = _value(rep, "ground_truth", (list,), (), optional=True)
    if truth is not None:
        for j, gt in enumerate(truth):
            path = ("ground_truth", j)
            if not isinstance(gt, dict):
                raise DataError(f"{_where(path)}: expected a mapping, got {type(gt).__name__}")
            if _value(gt, "type", (str,), path) not in INTERVAL_TYPES:
                raise DataError(f"{_where(path + ('type',))}: expected one of {INTERVAL_TYPES}, got {gt['type']!r}")
            if _value(gt, "onset", (int,), path) > _value(gt, "offset", (int,), path):
                raise DataError(f"{_where(path)}: onset {gt['onset']} is after offset {gt['offset']}")
            gt["row"] = _value(gt, "row", (int,), path, optional=True)
    for i, iv in enumerate(intervals):
        if iv["truth_match"] is not None and (truth is None or iv["truth_match"] >= len(truth)):
            raise DataError(f"{_where(('intervals', i, 'truth_match'))}: {iv['truth_match']} is not a position in "
                            f"the ground truth ({0 if truth is None else len(truth)} intervals)")
    rep["ground_truth"] = truth
    scores = _mapping(rep, "truth_scores", (), optional=True)
    if scores is not None:
        if truth is None:
            raise DataError("report['truth_scores']: scores against a ground truth that is not given")
        for kind in (*INTERVAL_TYPES, "overall"):
            part = _mapping(scores, kind, ("truth_scores",))
            for key in ("tp", "fp", "fn"):
                _value(part, key, (int,), ("truth_scores", kind))
            for key in ("precision", "recall", "f1"):
                _value(part, key, _NUMBER, ("truth_scores", kind))
    rep["truth_scores"] = scores
    rep["notes"] = [str(n) for n in _value(rep, "notes", (list,), (), optional=True, default=[])]
    return rep


# ---------------------------------------------------------------------------------------- page
def _clock(seconds: float) -> str:
    """``1:02:03`` or ``2:03.4``."""
    seconds = max(float(seconds), 0.0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours >= 1:
        return f"{int(hours)}:{int(minutes):02d}:{int(secs):02d}"
    return f"{int(minutes)}:{secs:04.1f}"


def _embedded_json(data: Any) -> str:
    """JSON that cannot end its ``<script>`` element early (``</script>``, ``<!--`` are escaped)."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _fact(term: str, detail: str, *, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    return f"<dt>{html.escape(term)}</dt><dd{attr}>{html.escape(detail)}</dd>"


def _header(rep: dict) -> str:
    e = html.escape
    rec, model, spotter, tracking = rep["recording"], rep["model"], rep["spotter"], rep["tracking"]
    intervals = rep["intervals"]
    n_micro = sum(iv["type"] == "micro" for iv in intervals)
    n_flagged = sum(bool(iv["flags"]) for iv in intervals)
    subtitle = (f'{rec["frames"]:,} frames · {rec["fps"]:g} fps · {_clock(rec["duration_s"])} · '
                f'{int(rec["width"])}×{int(rec["height"])} px')
    links = []
    if "csv" in rep["exports"]:
        links.append(f'<a class="export" href="{e(quote(rep["exports"]["csv"]))}" '
                     f'title="one row per interval, in the layout of a database coding sheet">Intervals (CSV)</a>')
    links.append(f'<a class="export" href="{e(quote(rep["exports"]["json"]))}" '
                 f'title="everything on this page as data">Report (JSON)</a>')
    loso = model["loso"]
    if loso is None:
        estimate = '<p class="estimate none">No leave-one-subject-out estimate</p>'
    else:
        estimate = (f'<p class="estimate"><span class="metric"><b>{loso["uf1"]:.3f}</b> UF1</span>'
                    f'<span class="metric"><b>{loso["uar"]:.3f}</b> UAR</span></p>'
                    f'<p class="caption">{e(model["estimate_caption"] or "leave-one-subject-out estimate")}</p>')
    gaps = tracking["gaps"]
    longest = max((g[1] - g[0] + 1 for g in gaps), default=0) / rec["fps"]
    gap_text = f"{len(gaps)} gap{'s' if len(gaps) != 1 else ''}" + (f", longest {longest:.1f} s" if gaps else "")
    truth = rep["ground_truth"]
    notes = "".join(f"<li>{e(n)}</li>" for n in rep["notes"])
    return f"""<header class="top">
  <div class="title-row">
    <div class="titles">
      <p class="kicker">Recording analysis</p>
      <h1 id="page-title">{e(rep["title"])}</h1>
      <p class="source" title="{e(rec["source"])}">{e(rec["source"])}</p>
      <p class="subtitle">{e(subtitle)}</p>
    </div>
    <nav class="exports" aria-label="Exports">{"".join(links)}</nav>
  </div>
  <div class="cards">
    <section class="card" aria-labelledby="card-recogniser">
      <h2 id="card-recogniser">Recogniser</h2>
      <p class="card-name">{e(model["name"])}</p>
      {estimate}
      <dl>{_fact("trained on", model["trained_on"])}{_fact("classes", ", ".join(model["classes"]) or "none")}
          {_fact("action units", model["au_model"] or "no AU model")}</dl>
    </section>
    <section class="card" aria-labelledby="card-spotter">
      <h2 id="card-spotter">Spotter</h2>
      <p class="card-name">{e(spotter["name"])}</p>
      <p class="card-text">{e(spotter["description"])}</p>
      <dl>{_fact("trained on", spotter["trained_on"])}</dl>
    </section>
    <section class="card" aria-labelledby="card-tracking">
      <h2 id="card-tracking">Face tracking</h2>
      <p class="card-name">{100 * tracking["face_found_fraction"]:.1f}%<span class="unit"> of frames</span></p>
      <dl>{_fact("not tracked", gap_text)}</dl>
    </section>
    <section class="card" aria-labelledby="card-found">
      <h2 id="card-found">Expressions found</h2>
      <p class="card-name">{len(intervals):,}<span class="unit"> interval{"s" if len(intervals) != 1 else ""}</span></p>
      <dl>{_fact("micro / macro", f"{n_micro:,} / {len(intervals) - n_micro:,}")}
          {_fact("flagged", f"{n_flagged:,}", cls="warn" if n_flagged else "")}
          {_fact("ground truth", "not given" if truth is None else f"{len(truth):,} interval{'s' if len(truth) != 1 else ''}")}
          {_truth_facts(rep["truth_scores"])}</dl>
    </section>
  </div>
  {f'<ul class="notes" aria-label="Notes">{notes}</ul>' if notes else ""}
</header>"""


def _truth_facts(scores: dict | None) -> str:
    """The MEGC spotting scores against the ground truth, one line per type (empty without)."""
    if scores is None:
        return ""
    return "".join(_fact(f"{kind} F1", f"{scores[kind]['f1']:.3f} · TP {scores[kind]['tp']} FP {scores[kind]['fp']} "
                                       f"FN {scores[kind]['fn']}", cls="truth-score")
                   for kind in ("micro", "macro", "overall"))


_BODY = """<main>
  <section class="panel" id="timeline-panel" aria-labelledby="timeline-heading">
    <div class="toolbar">
      <h2 id="timeline-heading">Timeline</h2>
      <div class="filter" role="group" aria-label="Show intervals of type">
        <button type="button" data-filter="all" aria-pressed="true">All</button>
        <button type="button" data-filter="micro" aria-pressed="false">Micro</button>
        <button type="button" data-filter="macro" aria-pressed="false">Macro</button>
      </div>
      <div class="legend" id="legend" aria-label="Legend"></div>
    </div>
    <div class="timeline" id="timeline">
      <div class="lane-labels" id="lane-labels" aria-hidden="true"></div>
      <div class="plot">
        <svg id="timeline-svg" role="group" aria-label="Timeline of the whole recording; choose an interval to see it"
             preserveAspectRatio="none"></svg>
        <div class="axis" id="timeline-axis" aria-hidden="true"></div>
      </div>
    </div>
    <p class="hint">Click an interval on the timeline or in the table.
      <kbd>j</kbd>/<kbd>↓</kbd> next, <kbd>k</kbd>/<kbd>↑</kbd> previous.</p>
  </section>
  <div class="columns">
    <section class="panel" id="table-panel" aria-labelledby="table-heading">
      <div class="toolbar"><h2 id="table-heading">Intervals</h2><span class="count" id="interval-count"></span></div>
      <p class="empty" id="empty-message" hidden>No expression found: the spotter marked no micro- or macro-expression
        interval in this recording.</p>
      <div class="table-wrap" id="table-wrap">
        <table id="interval-table" aria-labelledby="table-heading">
          <thead><tr><th scope="col">#</th><th scope="col">Type</th><th scope="col" class="num">Frames</th>
            <th scope="col" class="num">Time</th><th scope="col" class="num">Length</th>
            <th scope="col" class="num">Score</th><th scope="col">Class</th>
            <th scope="col" class="num">Tracking</th><th scope="col" id="th-truth" hidden>Truth</th>
            <th scope="col">Flags</th></tr></thead>
          <tbody></tbody>
        </table>
      </div>
    </section>
    <aside class="panel detail" id="detail" aria-labelledby="detail-heading" aria-live="polite">
      <div class="toolbar">
        <h2 id="detail-heading">Interval <span id="detail-id"></span></h2>
        <span class="badge" id="detail-type"></span>
        <span class="class-chip" id="detail-label"></span>
        <span class="spacer"></span>
        <button type="button" class="step" id="detail-prev" aria-label="Previous interval (k)">‹</button>
        <button type="button" class="step" id="detail-next" aria-label="Next interval (j)">›</button>
      </div>
      <p class="muted" id="detail-empty">Select an interval on the timeline or in the table.</p>
      <div id="detail-body" hidden>
        <dl class="facts" id="detail-facts"></dl>
        <div class="flags" id="detail-flags"></div>
        <div class="context" id="context">
          <svg id="context-svg" role="group" aria-label="The interval and its surroundings" preserveAspectRatio="none"></svg>
          <div class="axis" id="context-axis" aria-hidden="true"></div>
        </div>
        <div class="pictures">
          <figure id="detail-onset"><img alt="Face at the onset frame"><figcaption></figcaption></figure>
          <figure id="detail-apex"><img alt="Face at the apex frame"><figcaption></figcaption></figure>
          <figure id="detail-flow"><img alt="Optical flow from onset to apex"><figcaption></figcaption></figure>
          <figure id="detail-strain"><img alt="Optical strain from onset to apex"><figcaption></figcaption></figure>
        </div>
        <h3>Class scores</h3>
        <div class="scores" id="detail-scores"></div>
        <h3>Action units</h3>
        <div class="aus" id="detail-aus"></div>
      </div>
    </aside>
  </div>
</main>"""


def render_recording_page(report: Mapping) -> str:
    """The page's HTML for a report (checked with :func:`check_recording_report`)."""
    rep = check_recording_report(report)
    return (f'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<title>{html.escape(rep["title"])}</title>\n<link rel="icon" href="data:,">\n'
            f"<style>{STYLE}</style>\n</head>\n<body>\n{_header(rep)}\n{_BODY}\n"
            f'<noscript><p class="empty">The timeline and the interval table need JavaScript; '
            f'the data is in {html.escape(rep["exports"]["json"])}.</p></noscript>\n'
            f'<script type="application/json" id="report-data">{_embedded_json(rep)}</script>\n'
            f"<script>{SCRIPT}</script>\n</body>\n</html>\n")


def write_recording_page(report: Mapping, out_dir: str | Path, *, check_pictures: bool = True) -> Path:
    """Write ``out_dir/index.html`` and the report's JSON (``report.json`` unless ``exports.json``
    names another file) atomically; return the page's path.

    With ``check_pictures`` a picture the report names but ``out_dir`` lacks raises
    :class:`DataError`, so a page never shows a broken picture.
    """
    out_dir = Path(out_dir)
    rep = check_recording_report(report)
    if check_pictures:
        for i, iv in enumerate(rep["intervals"]):
            for kind, rel in iv["pictures"].items():
                if not (out_dir / rel).is_file():
                    raise DataError(f"{_where(('intervals', i, 'pictures', kind))}: picture {rel!r} is not in {out_dir}")
    page = render_recording_page(rep)
    atomic_write_json(out_dir / rep["exports"]["json"], rep)
    return atomic_write_text(out_dir / "index.html", page)
