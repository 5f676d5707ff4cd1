"""Which frames of a clip to use: onset/apex pairs, paper 001's three frames, paper 003's key frames.

Frame positions are integers in one numbering (frame numbers or list indices, as the caller
chooses); none of these functions read images.
"""
from __future__ import annotations

import math

from ..errors import DataError

#: Paper 003, eq. (2): clips whose apex comes less than this many frames after the onset are
#: extended to onset + this (bounded by the offset).
MIN_CLIP_SPAN = 10
#: Paper 003, sec. 3.1.1: number of key frames N_key.
N_KEY_FRAMES = 5


def _int(name: str, value) -> int | None:
    if value is None:
        return None
    try:
        if isinstance(value, float) and math.isnan(value):
            return None
        out = int(value)
    except (TypeError, ValueError):
        raise DataError(f"{name} must be an integer frame position, got {value!r}") from None
    if out != value:
        raise DataError(f"{name} must be an integer frame position, got {value!r}")
    return out


def onset_apex(onset, apex, offset=None) -> tuple[int, int]:
    """The (onset, apex) pair the onset->apex flow uses.

    A missing apex (None/NaN) or one outside [onset, offset] -- it happens in the databases'
    coding sheets -- is replaced by the middle of the clip, which needs the offset.
    """
    on, ap, off = _int("onset", onset), _int("apex", apex), _int("offset", offset)
    if on is None:
        raise DataError("onset is missing; it is needed to pick the frames")
    if off is not None and off < on:
        raise DataError(f"offset {off} comes before onset {on}")
    if ap is None or ap < on or (off is not None and ap > off):
        if off is None:
            raise DataError(f"apex {apex!r} is unusable (missing or before onset {on}) and no offset is given")
        ap = (on + off) // 2
    return on, ap


def onset_middle_apex(onset, apex, offset=None) -> tuple[int, int, int]:
    """Paper 001 (sec. 3.1): onset, the frame midway between onset and apex, and apex."""
    on, ap = onset_apex(onset, apex, offset)
    return on, (on + ap) // 2, ap


def clip_bounds(onset, apex, offset=None, *, min_span: int = MIN_CLIP_SPAN) -> tuple[int, int]:
    """Paper 003, eqs. (1)-(2): ``(start, end)`` of the clip whose key frames are used.

    start = onset;  end = min(onset + 10, offset) if apex - onset < 10 else min(apex, offset).
    A missing offset counts as unbounded.
    """
    on, ap, off = _int("onset", onset), _int("apex", apex), _int("offset", offset)
    if on is None or ap is None:
        raise DataError(f"clip_bounds needs onset and apex, got onset={onset!r}, apex={apex!r}")
    if off is not None and off < on:
        raise DataError(f"offset {off} comes before onset {on}")
    bound = off if off is not None else math.inf
    end = min(on + min_span, bound) if ap - on < min_span else min(ap, bound)
    return on, int(end)


def key_frames(start: int, end: int, n_key: int = N_KEY_FRAMES, *, unique: bool = True) -> list[int]:
    """Paper 003, eqs. (3)-(4): the key frames between ``start`` (excluded) and ``end`` (included).

    gap = ceil((end - start) / (n_key + 1));  F = {min(start + k gap, end), k = 1..n_key-1} + {end}.
    The paper's text leaves the last element as "..., end"; here the n-th element is ``end``
    itself so F always ends at ``end``. F is a set in the paper, so repeats on short clips are
    dropped unless ``unique=False`` (which always returns ``n_key`` positions).
    """
    s, e = _int("start", start), _int("end", end)
    if s is None or e is None:
        raise DataError("key_frames needs integer start and end")
    if n_key < 1:
        raise DataError(f"n_key must be >= 1, got {n_key}")
    if e < s:
        raise DataError(f"end {e} comes before start {s}")
    gap = math.ceil((e - s) / (n_key + 1))
    frames = [min(s + k * gap, e) for k in range(1, n_key)] + [e]
    if unique:
        frames = sorted(set(frames))
    return frames
