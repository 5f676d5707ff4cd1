"""Analyse one new clip end to end: frames → face → apex → onset→apex motion → class, with a report.

``analyse_clip(VIDEO_OR_FRAME_DIR, MODEL_DIR, REPORT_DIR)`` reads the frames onset..offset, finds
the face and its 68 landmarks on the onset frame, spots the apex (unless given), aligns onset and
apex once on the onset landmarks, computes TV-L1 flow and optical strain, encodes them exactly as
the composite the model was trained on, and predicts a class.

``REPORT_DIR`` layout::

    index.html          the report (open it in a browser)
    report.json         everything the page shows, as data
    motion.npz          flow (S, S, 2), strain (S, S), composite (C, C, 3) uint8
    frames/             onset frame with face box and landmarks; aligned onset and apex
    motion/             HSV flow, strain, the composite the model saw
    spotting/curve.png  the apex-spotting intensity curve
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import ConfigError, DataError, FaceNotFoundError
from ..io import atomic_write_image, atomic_write_json, atomic_write_npz, read_image

#: Longest onset..offset span analysed at once; longer clips need --onset/--offset.
MAX_FRAMES = 1500
#: Frames onset..offset are held in memory (twice while spotting): at most this many bytes of them.
MAX_CLIP_BYTES = 1 << 30
#: CASME II's frame rate, at which paper 004 chose its SW-Max window (9 frames).
SW_MAX_REFERENCE_FPS = 200.0
#: Pictures smaller than this are enlarged (nearest neighbour) so their pixels stay visible.
PICTURE_SIDE = 256

CAVEAT = ("This recogniser was trained on laboratory micro-expression databases. Its output on a new "
          "camera, person, frame rate, lighting or head pose has not been validated: read the class as a "
          "hint, not a finding. It always answers one of its classes, even when the clip holds no "
          "micro-expression at all. Leave-one-subject-out scores, when shown, estimate its accuracy on "
          "unseen subjects of the same databases only.")
#: The caveat of a recogniser that learned from simulated faces only (the built-in one).
CAVEAT_SIMULATED = ("This recogniser learned from simulated faces only, never from a real person. Its scores on "
                    "real laboratory micro-expressions, when shown, come from samples it never saw; its output on "
                    "a new camera, person, frame rate, lighting or head pose has not been validated: read the "
                    "class as a hint, not a finding. It always answers one of its classes, even when the clip "
                    "holds no micro-expression at all.")


def caveat_for(card: dict) -> str:
    """The page's caveat for the recogniser of ``card``."""
    from ..recognisers.model_folder import trained_on_simulation

    return CAVEAT_SIMULATED if trained_on_simulation(card) else CAVEAT


@dataclass
class AnalysisResult:
    report_dir: Path
    report: dict

    @property
    def index_html(self) -> Path:
        return self.report_dir / "index.html"

    @property
    def label(self) -> str:
        return self.report["prediction"]["label"]


def spotting_window(fps: float | None, n_frames: int) -> int:
    """Odd SW-Max window: paper 004's 9 frames scaled from 200 fps to ``fps``, and at most a third
    of the clip (a window as long as the clip always answers the clip's middle)."""
    from ..spotting.decoders import SW_MAX_WINDOW

    w = SW_MAX_WINDOW * (float(fps) / SW_MAX_REFERENCE_FPS if fps else 1.0)
    w = int(round(min(w, max(1, n_frames // 3))))
    return max(1, w - (1 - w % 2))


def video_fps(path: Path) -> float | None:
    """Frames per second a video file declares (None for frame folders or when unknown)."""
    import cv2

    if path.is_dir():
        return None
    cap = cv2.VideoCapture(str(path))
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS)) if cap.isOpened() else 0.0
    finally:
        cap.release()
    return fps if np.isfinite(fps) and fps > 0 else None


def find_onset_face(frame: np.ndarray, frame_path: str, frame_number: int, *, whole_frame_face: bool = False):
    """Face detection and ``(68, 2)`` landmarks on the onset frame.

    The detector's last resort (the whole frame taken as the face, on weak face evidence) is
    refused unless ``whole_frame_face`` says the frames are already tight face crops.
    """
    from ..face import find_face, landmarks_68, landmarks_plausible

    try:
        detection = find_face(frame, fallback=True)
    except FaceNotFoundError as exc:
        raise FaceNotFoundError(f"no face found in the onset frame (frame {frame_number}): {exc}", frame_path) from exc
    if detection.strategy == "whole_frame" and not whole_frame_face:
        raise FaceNotFoundError(f"no face found in the onset frame (frame {frame_number}); if the frames are "
                                "already tight face crops, pass --whole-frame-face", frame_path)
    landmarks = landmarks_68(frame, detection.box)
    if not landmarks_plausible(landmarks, frame.shape):
        raise FaceNotFoundError(f"the landmarks found in the onset frame (frame {frame_number}) do not have a "
                                "face's layout", frame_path)
    return detection, landmarks


def _enlarged(image: np.ndarray, side: int = PICTURE_SIDE) -> np.ndarray:
    import cv2

    h, w = image.shape[:2]
    factor = max(1, int(np.ceil(side / max(h, w))))
    if factor == 1:
        return image
    return cv2.resize(image, (w * factor, h * factor), interpolation=cv2.INTER_NEAREST)


def plot_spotting_curve(path: Path, curve: np.ndarray, onset_no: int, marks: dict[str, int],
                        method: str = "baseline") -> Path:
    """The spotting intensity over frame numbers, with the apex lines labelled by frame number."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..io import save_figure

    numbers = onset_no + np.arange(len(curve))
    fig, ax = plt.subplots(figsize=(6, 2.8))
    ax.plot(numbers, curve, color="k", lw=1.3, marker="." if len(curve) <= 60 else None,
            label=f"onset→frame motion ({method})")
    for (name, idx), style in zip(marks.items(), ("--", ":")):
        ax.axvline(onset_no + idx, ls=style, lw=1.3, color="C3" if name.startswith("spotted") else "C0",
                   label=f"{name}: frame {onset_no + idx}")
    ax.set_xlabel("frame number")
    ax.set_ylabel("intensity (max = 1)")
    ax.legend(fontsize=7, loc="best")
    return save_figure(fig, path, dpi=90)


def _write_pictures(out: Path, frames: list[np.ndarray], detection, landmarks, motion: dict, composite: np.ndarray,
                    curve: np.ndarray, apex_idx: int, spotted_idx: int, apex_source: str, onset_no: int,
                    spot_method: str) -> dict:
    import cv2

    from ..face.drawing import draw_landmarks
    from ..motion import flow_to_hsv_image, scalar_to_image

    onset_rgb = draw_landmarks(frames[0], landmarks)
    x0, y0, x1, y1 = detection.clipped_box
    side = min(onset_rgb.shape[:2])
    cv2.rectangle(onset_rgb, (int(x0), int(y0)), (int(x1) - 1, int(y1) - 1), (255, 60, 60), max(1, side // 200))
    pics = {
        "onset_frame": ("frames/onset.png", onset_rgb),
        "onset_aligned": ("frames/onset_aligned.png", _enlarged(draw_landmarks(motion["onset"], motion["landmarks"]))),
        "apex_aligned": ("frames/apex_aligned.png", _enlarged(draw_landmarks(motion["apex"], motion["landmarks"]))),
        "flow_hsv": ("motion/flow_hsv.png", _enlarged(flow_to_hsv_image(motion["flow"]))),
        "strain": ("motion/strain.png", _enlarged(cv2.cvtColor(cv2.applyColorMap(scalar_to_image(motion["strain"]),
                                                                                  cv2.COLORMAP_INFERNO),
                                                               cv2.COLOR_BGR2RGB))),
        "composite": ("motion/composite.png", _enlarged(composite)),
    }
    for rel, image in pics.values():
        atomic_write_image(out / rel, image)
    marks = {"spotted apex": spotted_idx}
    if apex_source == "given":
        marks = {"given apex": apex_idx, **marks}
    plot_spotting_curve(out / "spotting" / "curve.png", curve, onset_no, marks, spot_method)
    paths = {k: rel for k, (rel, _) in pics.items()}
    paths["spotting_curve"] = "spotting/curve.png"
    return paths


def analyse_clip(source: str | Path, model_dir: str | Path, out: str | Path, *, onset: int | None = None,
                 apex: int | None = None, offset: int | None = None, fps: float | None = None,
                 spot_method: str = "baseline", whole_frame_face: bool = False, max_frames: int = MAX_FRAMES,
                 cache_dir: str | Path | None = None, echo: Callable[[str], None] = print) -> AnalysisResult:
    """Analyse ``source`` (a video file or a folder of frames) with the model folder ``model_dir``
    (``"builtin"``: the recogniser shipped with microexp, trained on simulated faces only) and write
    the report folder ``out`` (see the module docstring).

    ``onset``/``apex``/``offset`` are frame numbers (a video's frames count from 0; a folder's
    frames are numbered by their file names); the defaults are the first frame, the spotted apex
    and the last frame. ``fps`` (read from the video when not given) scales the SW-Max window.
    """
    from .. import __version__
    from ..datasets.video import load_video
    from ..motion import decode_composite, onset_apex_composite
    from ..spotting import spot_apex
    from .train import ANALYSABLE_INPUT_KINDS, load_trained

    started = time.perf_counter()
    trained = load_trained(model_dir)  # fail on a bad model folder before any heavy work
    model_dir = trained.directory  # "builtin" → the packaged folder
    enc = trained.encoding
    if trained.card["input_kind"] not in ANALYSABLE_INPUT_KINDS or enc.get("kind") != "megc2019_composite":
        raise ConfigError(f"model in {model_dir} eats {trained.card['input_kind']!r} inputs encoded as "
                          f"{enc.get('kind')!r}; analyse computes the u/v/strain composite only")
    source = Path(source)
    row = load_video(source, onset, None, offset, cache_dir=cache_dir).df.iloc[0]
    paths = list(row["frame_paths"])
    onset_no, offset_no = int(row["onset"]), int(row["offset"])
    if len(paths) < 2:
        raise DataError(f"onset..offset {onset_no}..{offset_no} holds {len(paths)} frame; need an onset and a later apex",
                        source)
    if len(paths) > max_frames:
        raise ConfigError(f"onset..offset spans {len(paths)} frames (> {max_frames}); pass --onset/--offset "
                          "around the expression")
    if apex is not None and not onset_no < int(apex) <= offset_no:
        raise DataError(f"apex {apex} must lie after the onset and within onset..offset {onset_no}..{offset_no}", source)
    fps = float(fps) if fps else video_fps(source)
    echo(f"reading {len(paths)} frames {onset_no}..{offset_no} of {source}")
    first = read_image(paths[0], "rgb")
    if first.nbytes * len(paths) > MAX_CLIP_BYTES:
        raise ConfigError(f"{len(paths)} frames of {first.shape[1]}×{first.shape[0]} px need "
                          f"{first.nbytes * len(paths) / 2**30:.1f} GiB; pass --onset/--offset around the expression")
    frames = [first] + [read_image(p, "rgb") for p in paths[1:]]
    if len({f.shape for f in frames}) != 1:
        raise DataError(f"frames differ in size: {sorted({f.shape for f in frames})}", row["frames_dir"])

    where = str(source) if source.is_file() else paths[0]  # a video's frames live in a cache the user never named
    detection, landmarks = find_onset_face(frames[0], where, onset_no, whole_frame_face=whole_frame_face)
    window = spotting_window(fps, len(frames))
    spotted_idx, curve = spot_apex(np.stack(frames), 0, None, spot_method, window=window, landmarks=landmarks)
    if spotted_idx == 0:  # a still clip: the onset cannot be its own apex
        spotted_idx = 1 + int(np.argmax(curve[1:]))
    apex_idx = spotted_idx if apex is None else int(apex) - onset_no
    apex_source = "spotted" if apex is None else "given"
    echo(f"apex: frame {onset_no + apex_idx} ({apex_source})")

    motion = onset_apex_composite(frames, onset_idx=0, apex_idx=apex_idx, face_size=int(enc["face_size"]),
                                  method=str(enc["flow_method"]), size=int(enc["size"]), landmarks=landmarks)
    composite = motion["composite"]
    scores, score_kind = trained.scores(decode_composite(composite)[None])
    scores = scores[0]
    pred = int(np.nanargmax(scores))

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    pictures = _write_pictures(out, frames, detection, landmarks, motion, composite, curve, apex_idx, spotted_idx,
                               apex_source, onset_no, str(spot_method))
    atomic_write_npz(out / "motion.npz", flow=motion["flow"], strain=motion["strain"], composite=composite)
    magnitude = np.hypot(motion["flow"][..., 0], motion["flow"][..., 1])
    report = {
        "microexp_version": __version__,
        "source": str(source.resolve()),
        "frames": {"count": len(frames), "onset": onset_no, "apex": onset_no + apex_idx, "offset": offset_no,
                   "apex_source": apex_source, "spotted_apex": onset_no + spotted_idx, "fps": fps,
                   "onset_to_apex_ms": None if not fps else round(1000.0 * apex_idx / fps, 1),
                   "frame_size": list(frames[0].shape[:2])},
        "face": {"detector": detection.strategy, "box": [int(v) for v in detection.box]},
        "spotting": {"method": spot_method, "decoder": "sw_max", "window": window,
                     "curve": [round(float(v), 5) for v in curve]},
        "motion": {"flow_method": enc["flow_method"], "face_size": int(enc["face_size"]),
                   "max_flow_px": round(float(magnitude.max()), 4), "mean_flow_px": round(float(magnitude.mean()), 4),
                   "valid_fraction": round(float(motion["valid"].mean()), 4)},
        "prediction": {"label": trained.classes[pred], "index": pred, "score_kind": score_kind,
                       "scores": {c: (None if np.isnan(s) else round(float(s), 5))
                                  for c, s in zip(trained.classes, scores)}},
        "model": {"folder": str(Path(model_dir).resolve()), **{k: trained.card.get(k) for k in (
            "model", "paper", "family", "classes", "input_encoding", "training_data", "loso", "held_out", "created",
            "microexp_version", "scope")}},
        "caveat": caveat_for(trained.card),
        "pictures": pictures,
        "seconds": round(time.perf_counter() - started, 2),
    }
    atomic_write_json(out / "report.json", report)
    write_report_html(out / "index.html", report)
    echo(f"prediction: {report['prediction']['label']} ({score_kind} "
         + ", ".join(f"{c} {s:.3f}" for c, s in report["prediction"]["scores"].items() if s is not None) + ")")
    return AnalysisResult(out, report)


def write_report_html(path: Path, report: dict) -> Path:
    """The page of an analysis (``report`` = the dict written to report.json)."""
    from ..recognisers.model_folder import trained_on_simulation
    from ..report.html import HtmlReport

    fr, pics, pred, model = report["frames"], report["pictures"], report["prediction"], report["model"]
    data = model.get("training_data") or {}
    page = HtmlReport(f"Micro-expression analysis: {Path(report['source']).name}",
                      f"microexp {report['microexp_version']} · {report['source']}")
    page.section("Prediction")
    rows = [{"class": c, pred["score_kind"]: s} for c, s in pred["scores"].items()]
    page.table(rows, ["class", pred["score_kind"]], highlight=[pred["index"]])
    what = {"probability": "class probabilities (they sum to 1)",
            "decision": "one-vs-rest decision values (larger = more likely; not probabilities)",
            "one_hot": "the predicted class only (the model gives no scores)"}[pred["score_kind"]]
    page.paragraph(f"Predicted class: {pred['label']}. Scores are {what}.")
    page.paragraph(report["caveat"], note=True)

    page.section("Clip")
    height, width = fr["frame_size"]
    page.key_values({"frames": f"{fr['onset']}..{fr['offset']} ({fr['count']} frames, {width}×{height} px)",
                     "onset frame": fr["onset"], "apex frame": f"{fr['apex']} ({fr['apex_source']})",
                     "spotted apex": fr["spotted_apex"],
                     "frame rate": "unknown" if not fr["fps"] else f"{fr['fps']:g} fps",
                     "onset → apex": ("unknown (no frame rate)" if fr["onset_to_apex_ms"] is None
                                      else f"{fr['onset_to_apex_ms']} ms"),
                     "face found by": report["face"]["detector"]})
    page.images([(pics["onset_frame"], "onset frame: face box (red) and 68 landmarks (green)"),
                 (pics["onset_aligned"], "onset, aligned on its own landmarks"),
                 (pics["apex_aligned"], "apex, warped by the onset's alignment (onset landmarks drawn)")], height=256)

    mo, side = report["motion"], model["input_encoding"]["size"]
    page.section("Motion from onset to apex")
    page.images([(pics["flow_hsv"], f"{mo['flow_method']} optical flow: hue = direction, brightness = magnitude "
                                    f"(brightest = {mo['max_flow_px']:.2f} px)"),
                 (pics["strain"], "optical strain (dark = none, bright = most)"),
                 (pics["composite"], f"the model's input: {side}×{side} composite, R = u, G = v, B = strain")],
                height=256)
    page.paragraph(f"Mean flow {mo['mean_flow_px']:.3f} px, largest {mo['max_flow_px']:.3f} px on a "
                   f"{mo['face_size']}×{mo['face_size']} aligned face.", muted=True)

    sp = report["spotting"]
    page.section("Apex spotting")
    page.images([(pics["spotting_curve"], f"{sp['method']} intensity (onset→frame flow magnitude), SW-Max window "
                                          f"{sp['window']} frames")])

    page.section("Model card")
    page.key_values({"model": model.get("model"), "paper": model.get("paper"), "folder written": model.get("created"),
                     "with microexp": model.get("microexp_version"), "classes": ", ".join(model.get("classes") or []),
                     "trained on": (f"simulated faces only: {data.get('samples', '?')} clips of "
                                    f"{data.get('subjects', '?')} synthetic people" if trained_on_simulation(model) else
                                    f"{data.get('dataset')}: {data.get('samples')} clips of {data.get('subjects')} subjects"),
                     "class counts": ", ".join(f"{c} {n}" for c, n in (data.get("classes") or {}).items()),
                     **({"databases": ", ".join(f"{d} ({v['samples']})" for d, v in data["per_database"].items())}
                        if data.get("per_database") else {}),
                     "scope": model.get("scope")})
    if data.get("dataset") == "megc2019":
        page.paragraph("The MEGC2019 composite's flow images were made by their authors with their own face crops "
                       "and flow settings; here the same encoding (u, v, strain, per-image min-max, "
                       f"{side}×{side}) is "
                       f"recomputed with {mo['flow_method']} on a {mo['face_size']}-pixel aligned face, so the input "
                       "matches the training data in form, not necessarily in every detail.", muted=True)
    if model.get("loso"):
        page.paragraph("Leave-one-subject-out scores of the same configuration (each subject predicted by a model "
                       "that never saw it):")
        page.metrics_table({k: v for k, v in model["loso"].items() if k != "mean_over_folds"})
    elif isinstance(model.get("held_out"), dict):
        held = model["held_out"]
        page.paragraph(f"Scores on the {held.get('samples')} real samples of {str(held.get('dataset')).upper()} "
                       f"({held.get('subjects')} people), none of which trained it:")
        page.metrics_table({k: v for k, v in held.items() if isinstance(v, dict)})
    else:
        page.paragraph("No leave-one-subject-out scores were stored with this model "
                       "(train it with --evaluate-loso to add them).", muted=True)
    return page.write(path)
