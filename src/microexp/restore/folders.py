"""Reading a folder of face images or a clip (folder of frames or a video file) for the CLI."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DataError
from ..io import read_image

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
VIDEO_SUFFIXES = (".avi", ".mp4", ".mov", ".mkv")


def list_images(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError("expected a folder of images", folder)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise DataError(f"no images ({', '.join(IMAGE_SUFFIXES)}) in the folder", folder)
    return files


def read_images(folder: str | Path) -> tuple[list[str], list[np.ndarray]]:
    """File names and RGB uint8 images of every image in ``folder`` (sorted by name)."""
    files = list_images(folder)
    return [p.name for p in files], [read_image(p, "rgb") for p in files]


def read_clip(path: str | Path) -> tuple[list[str], list[np.ndarray]]:
    """Frames of a clip: a folder of frame images, or a video file (frames named ``frame_00001.png``…)."""
    path = Path(path)
    if path.is_dir():
        return read_images(path)
    if path.suffix.lower() not in VIDEO_SUFFIXES:
        raise DataError(f"expected a folder of frames or a video ({', '.join(VIDEO_SUFFIXES)})", path)
    if not path.is_file():
        raise DataError("video file is missing", path)
    import cv2

    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    cap.release()
    if not frames:
        raise DataError("no frame could be decoded from the video", path)
    return [f"frame_{i + 1:05d}.png" for i in range(len(frames))], frames
