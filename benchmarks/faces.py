"""Face detection + 68 landmarks on a folder of face images (e.g. the MEGC2019 apex crops).

    python benchmarks/faces.py --images ../shared/data/megc2019/datasets/combined_datasets_whole

For every image: plain HOG (as dlib ships it) and the fallback cascade of
``microexp.face.find_face``; landmarks are fitted in the box and counted as detected only when
plausible (face-like layout, spanning >= ``--min-spread`` of the image's width and height, within
the image give or take a quarter). Writes ``<out>/config.yaml``, ``metrics.json``,
``per_image.csv`` and ``fallback_faces.png`` (every face the plain detector missed, with its
landmarks). Ends with one JSON line.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from microexp.errors import DataError, FaceNotFoundError  # noqa: E402
from microexp.face import detect_face, draw_landmarks, find_face, landmarks_68, landmarks_plausible  # noqa: E402
from microexp.io import atomic_write_image, atomic_write_json, atomic_write_text, read_image  # noqa: E402

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}


def montage(tiles: list[np.ndarray], cols: int = 10, tile: int = 112) -> np.ndarray:
    import cv2

    tiles = [cv2.resize(t, (tile, tile), interpolation=cv2.INTER_AREA) for t in tiles]
    while len(tiles) % cols:
        tiles.append(np.zeros((tile, tile, 3), np.uint8))
    rows = [np.hstack(tiles[i:i + cols]) for i in range(0, len(tiles), cols)]
    return np.vstack(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", required=True, help="folder of face images")
    ap.add_argument("--out", default="runs/benchmarks/faces")
    ap.add_argument("--min-spread", type=float, default=0.4,
                    help="landmarks must span this fraction of the image width and height")
    ap.add_argument("--limit", type=int, default=0, help="only the first N images (0 = all)")
    args = ap.parse_args()

    folder = Path(args.images)
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES) if folder.is_dir() else []
    if not paths:
        raise SystemExit(f"no images found in {folder}")
    if args.limit:
        paths = paths[:args.limit]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "config.yaml", "".join(f"{k}: {json.dumps(v)}\n" for k, v in vars(args).items()))

    rows, strategies, missed_tiles = [], Counter(), []
    plain_hog = detected = unreadable = 0
    started = time.perf_counter()
    for path in paths:
        try:
            image = read_image(path, mode="rgb")
        except DataError:
            unreadable += 1
            rows.append({"image": path.name, "plain_hog": False, "strategy": "unreadable", "plausible": False})
            continue
        try:
            detect_face(image, fallback=False)
            hog_found = True
        except FaceNotFoundError:
            hog_found = False
        found = find_face(image)
        landmarks = landmarks_68(image, found.box)
        plausible = landmarks_plausible(landmarks, image.shape, min_spread=args.min_spread)
        plain_hog += hog_found
        detected += plausible
        strategies[found.strategy] += 1
        h, w = image.shape[:2]
        rows.append({
            "image": path.name, "plain_hog": hog_found, "strategy": found.strategy,
            "box": " ".join(map(str, found.box)), "plausible": plausible,
            "spread_x": round(float(np.ptp(landmarks[:, 0])) / w, 3),
            "spread_y": round(float(np.ptp(landmarks[:, 1])) / h, 3),
        })
        if not hog_found:
            missed_tiles.append(draw_landmarks(image, landmarks))
    seconds = time.perf_counter() - started

    buf = io.StringIO()
    fields = ["image", "plain_hog", "strategy", "box", "plausible", "spread_x", "spread_y"]
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(out / "per_image.csv", buf.getvalue())
    if missed_tiles:
        atomic_write_image(out / "fallback_faces.png", montage(missed_tiles))
    metrics = {
        "detected": int(detected), "total": len(paths), "plain_hog": int(plain_hog),
        "unreadable": unreadable, "by_strategy": dict(strategies), "min_spread": args.min_spread,
        "seconds": round(seconds, 2), "ms_per_image": round(1000 * seconds / len(paths), 1),
        "not_detected": [r["image"] for r in rows if not r["plausible"]], "out": str(out),
    }
    atomic_write_json(out / "metrics.json", metrics)
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
