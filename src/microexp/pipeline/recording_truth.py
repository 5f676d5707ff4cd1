"""Ground truth for ``microexp analyse`` on a whole recording: the coded intervals of one video of
a long-video sheet, in the recording's own frame positions, and how the spotted intervals score
against them (MEGC: one-to-one matching at IoU ≥ 0.5, per type).

The sheet is any of :mod:`microexp.datasets.long_videos`' layouts: CAS(ME)^2 (``casme_sq``),
SAMM Long Videos (``samm_lv``) or the CAS(ME)^3 CSV layout (``casme3_lv``, also what
``microexp simulate-long`` writes and the ``intervals.csv`` an analysis exports). Which video of
the sheet is the recording: ``video`` (``SUBJECT/VIDEO`` or ``VIDEO``), else the one named like
the recording (a video file's stem, a frame folder's name), else the sheet's only video.

A recording's frames are counted from 0 in the order they are read. A sheet numbers them as its
database numbers the frame files (``first_frame``: CAS(ME)^2 and SAMM from 1, CAS(ME)^3 from 0),
so a video file's position is ``number - first_frame``; in a frame folder the numbers are looked
up among the file names, so a folder with gaps is still placed right (an onset or offset must
name a file; an apex falls on the first file at or after it).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError

#: Columns of the table :func:`truth_for_recording` returns.
TRUTH_COLUMNS = ("onset", "apex", "offset", "type", "row")


def truth_for_recording(sheet: str | Path, source: str | Path, *, database: str = "casme3_lv",
                        video: str | None = None, by_name_only: bool = False) -> pd.DataFrame:
    """The coded intervals of ``source``'s video in ``sheet``, as recording positions.

    ``by_name_only``: the sheet's video must carry the recording's name, even when the sheet
    holds a single video (for many recordings against one sheet).

    Returns a table with :data:`TRUTH_COLUMNS` (``row``: the sheet's row, for messages) whose
    ``attrs`` hold ``sheet``, ``subject``, ``video`` and ``video_length`` (frames the sheet
    codes for that video). A video the sheet does not hold, or a frame the folder does not
    hold, is a :class:`DataError` naming the sheet (and row).
    """
    from ..datasets.long_videos import load_long_video_intervals, videos_of

    sheet, source = Path(sheet), Path(source)
    table = load_long_video_intervals(database, sheet)
    videos = videos_of(table)
    subject, name = _choose_video(videos, source, video, sheet, by_name_only)
    row = videos[(videos["subject"].astype(str) == subject) & (videos["video"].astype(str) == name)].iloc[0]
    first = int(row["first_frame"]) if "first_frame" in videos.columns else 0
    rows = table[(table["subject"].astype(str) == subject) & (table["video"].astype(str) == name)]
    to_position = _folder_positions(source, sheet) if source.is_dir() else (lambda n, r, exact=True: int(n) - first)
    records = []
    for _, r in rows.iterrows():
        onset, offset = to_position(r["onset"], r["row"]), to_position(r["offset"], r["row"])
        apex = min(max(to_position(r["apex"], r["row"], exact=False), onset), offset)
        records.append({"onset": onset, "apex": apex, "offset": offset, "type": str(r["type"]), "row": int(r["row"])})
    out = pd.DataFrame(records, columns=list(TRUTH_COLUMNS))
    out.attrs.update(sheet=str(sheet), subject=subject, video=name, video_length=int(row["video_length"]))
    return out


def _choose_video(videos: pd.DataFrame, source: Path, video: str | None, sheet: Path,
                  by_name_only: bool = False) -> tuple[str, str]:
    pairs = list(dict.fromkeys(zip(videos["subject"].astype(str), videos["video"].astype(str))))
    listing = ", ".join(f"{s}/{v}" for s, v in pairs[:6]) + (" …" if len(pairs) > 6 else "")
    if video is not None:
        parts = [p for p in str(video).replace("\\", "/").split("/") if p]
        found = [p for p in pairs if (len(parts) == 1 and p[1] == parts[0]) or (len(parts) >= 2 and p == tuple(parts[-2:]))]
        if not found:
            raise DataError(f"video {video!r} is not in the sheet (its videos: {listing})", sheet)
    else:
        stem = source.name if source.is_dir() else source.stem
        found = [p for p in pairs if p[1] == stem] or (pairs if len(pairs) == 1 and not by_name_only else [])
        if not found:
            raise DataError(f"no video of the sheet is named {stem!r} like the recording; name it with "
                            f"--truth-video SUBJECT/VIDEO (the sheet's videos: {listing})", sheet)
    if len(found) > 1:
        raise DataError(f"{len(found)} videos of the sheet match ({', '.join(f'{s}/{v}' for s, v in found[:6])}); "
                        f"name one with --truth-video SUBJECT/VIDEO", sheet)
    return found[0]


def _folder_positions(folder: Path, sheet: Path):
    """``(frame number, sheet row) → position`` among the folder's frame files; an onset or offset
    must be a file, an apex (``exact=False``) falls on the first file at or after it."""
    from ..datasets.frame_folders import index_frames

    numbers = np.asarray(sorted(index_frames(folder)), np.int64)

    def position(number, row, exact: bool = True) -> int:
        i = int(np.searchsorted(numbers, int(number)))
        if not exact:
            return min(i, len(numbers) - 1)
        if i >= len(numbers) or numbers[i] != int(number):
            raise DataError(f"frame {int(number)} is not among the frame files of {folder}", sheet, int(row))
        return i
    return position


def check_truth_fits(truth: pd.DataFrame, n_frames: int) -> list[str]:
    """Refuse intervals outside the recording's ``n_frames`` (a :class:`DataError` naming the
    sheet and row); return notes for the page (e.g. a sheet that codes another length)."""
    sheet = Path(truth.attrs.get("sheet", "ground truth"))
    for _, r in truth.iterrows():
        if not 0 <= int(r["onset"]) <= int(r["offset"]) < n_frames:
            row = r.get("row")
            raise DataError(f"interval {int(r['onset'])}–{int(r['offset'])} (recording positions) lies outside the "
                            f"recording's {n_frames} frames: is it the right video?", sheet,
                            None if row is None or pd.isna(row) else int(row))
    coded = truth.attrs.get("video_length")
    if coded is not None and int(coded) != int(n_frames):
        return [f"The ground-truth sheet codes {int(coded):,} frames for {truth.attrs.get('subject')}/"
                f"{truth.attrs.get('video')}; the recording has {int(n_frames):,}."]
    return []


def score_against_truth(intervals: pd.DataFrame, truth: pd.DataFrame) -> tuple[dict, dict[int, int]]:
    """MEGC spotting scores of ``intervals`` (``onset, offset, type``) against ``truth``
    (``{'micro'|'macro'|'overall': {tp, fp, fn, precision, recall, f1}}``) and the one-to-one
    matches ``{interval position: truth position}``."""
    from ..spotting.megc_metrics import spotting_matches, spotting_scores

    pred = intervals.loc[:, ["onset", "offset", "type"]].assign(video="recording")
    true = truth.loc[:, ["onset", "offset", "type"]].assign(video="recording")
    scores = spotting_scores(pred, true, clip=False)
    matches = spotting_matches(pred, true, clip=False)
    return scores, {int(p): int(t) for p, t in zip(matches["pred"], matches["truth"])}
