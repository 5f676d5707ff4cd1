"""Writing generated ME clips in CASME II's on-disk layout, so every loader reads them like real ones.

    <out>/CASME2_RAW_selected/sub<ID>/<clip>/img<N>.jpg     frames onset..offset
    <out>/CASME2-coding-20140508.xlsx                       Sheet1 with CASME II's columns
    <out>/generation.json                                   per clip: source, target, AU sequences

Optionally each frame goes through a super-resolution step (paper 002 §2.4 uses RealSR): the face is
generated at reduced size and brought back with ``upscale`` (a ×``scale`` torch generator from
:mod:`microexp.restore`, or ``"bicubic"``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...errors import ConfigError, DataError
from ...io import atomic_write_bytes, atomic_write_json

FRAMES_FOLDER = "CASME2_RAW_selected"
SHEET_NAME = "CASME2-coding-20140508.xlsx"


@dataclass
class GeneratedClip:
    """One generated clip and its CASME II coding row."""

    subject: str  # '01' style, written as sub01
    filename: str  # e.g. 'GEN01_03'
    frames: np.ndarray  # (T, H, W, 3) uint8 RGB
    apex_index: int
    emotion: str = "others"
    action_units: str | int = ""
    onset_frame: int = 1
    meta: dict = field(default_factory=dict)


def upscale_frames(frames: np.ndarray, upscale, scale: int = 4) -> np.ndarray:
    """(T, h, w, 3) uint8 → (T, scale·h, scale·w, 3) uint8 by a torch SR generator or bicubic."""
    if upscale == "bicubic":
        from ...restore import upscale_bicubic

        return upscale_bicubic(frames, scale)
    if upscale is None:
        return frames
    from ...restore import upscale_with

    return upscale_with(upscale, frames)


def generate_at_reduced_size(generate_fn, image: np.ndarray, landmarks: np.ndarray, scale: int, upscale):
    """Run ``generate_fn(small_image, small_landmarks) -> frames`` at 1/``scale`` size, then super-resolve."""
    import cv2

    h, w = image.shape[:2]
    if h % scale or w % scale:
        raise ConfigError(f"image size {w}×{h} is not divisible by the super-resolution scale {scale}")
    small = cv2.resize(image, (w // scale, h // scale), interpolation=cv2.INTER_AREA)
    frames = generate_fn(small, np.asarray(landmarks, dtype=np.float64) / scale)
    return upscale_frames(frames, upscale, scale)


def write_casme2_clips(out_dir: str | Path, clips: list[GeneratedClip], jpeg_quality: int = 95) -> Path:
    """Write ``clips`` (frames, coding sheet, generation.json) under ``out_dir``; returns ``out_dir``."""
    import cv2

    from ...simulate.casme2_sheet import write_casme2_sheet

    out = Path(out_dir)
    rows, meta = [], []
    seen = set()
    for clip in clips:
        key = (clip.subject, clip.filename)
        if key in seen:
            raise DataError(f"clip sub{clip.subject}/{clip.filename} given twice")
        seen.add(key)
        frames = np.asarray(clip.frames)
        if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
            raise DataError(f"clip {clip.filename}: frames must be (T, H, W, 3) uint8, got {frames.shape} {frames.dtype}")
        if not 0 <= clip.apex_index < len(frames):
            raise DataError(f"clip {clip.filename}: apex index {clip.apex_index} outside 0..{len(frames) - 1}")
        folder = out / FRAMES_FOLDER / f"sub{clip.subject}" / clip.filename
        for k, frame in enumerate(frames):
            ok, buf = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
            if not ok:
                raise DataError("JPEG encoding failed", folder / f"img{clip.onset_frame + k}.jpg")
            atomic_write_bytes(folder / f"img{clip.onset_frame + k}.jpg", buf.tobytes())
        onset = clip.onset_frame
        rows.append({"Subject": clip.subject, "Filename": clip.filename, "OnsetFrame": onset,
                     "ApexFrame": onset + clip.apex_index, "OffsetFrame": onset + len(frames) - 1,
                     "Action Units": clip.action_units, "Estimated Emotion": clip.emotion})
        meta.append({"subject": clip.subject, "filename": clip.filename, "n_frames": len(frames), **clip.meta})
    write_casme2_sheet(out / SHEET_NAME, rows)
    atomic_write_json(out / "generation.json", {"clips": meta})
    return out
