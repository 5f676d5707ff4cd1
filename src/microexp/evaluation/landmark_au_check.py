"""How well paper 002's landmark AU estimator reads action units on real micro-expressions.

The estimator (:mod:`microexp.augment.famgan.au_estimation`) turns landmark displacements from a
neutral frame into AU intensities; it is calibrated on the simulator's AU geometry, never on real
labels. On the MEGC2019 composite each coded sample has an apex face and an onset→apex flow, but
no onset face, so the neutral landmarks are reconstructed:

1. the 68 landmarks of the apex face are found (:func:`microexp.face.landmarks_68`, with the
   detector's fallbacks for tight crops);
2. the flow's u and v maps are centred on their medians (most of the face does not move), scaled
   so that the strongest motion is :data:`FLOW_PEAK_IOD` inter-ocular distances, resized to the
   face and sampled at each landmark;
3. neutral = apex landmarks − that displacement; the estimator reads the AUs from (apex, neutral).

Each AU's intensities are then scored against the sheet's labels by ROC AUC (present vs absent,
unknown labels left out): 0.5 is chance.

Limits, stated plainly: the composite's flows are min–max scaled per image, so their magnitude
and zero are lost (the median stands in for zero, one fixed peak for every sample); the flows are
28×28 and assumed to cover the same crop as the 224×224 apex faces; the estimator knows only the
simulator's AU geometry (:data:`~microexp.simulate.action_units.AU_SPECS`), and AU12 / AU14 /
AU20 move the same lip corners; landmark jitter on a real still face is of the order of a
micro-expression's displacement (:func:`real_frames_check` measures it on the ten real frames).
"""
from __future__ import annotations

import numpy as np

from ..datasets.au_labels import au_column
from ..datasets.samples import SampleTable
from ..errors import DataError, FaceNotFoundError

#: Peak displacement (inter-ocular distances) a flow map is scaled to: its min–max scaling leaves
#: no magnitude, so every sample's strongest motion is set to this micro-expression amplitude.
FLOW_PEAK_IOD = 0.05
#: Neutral faces used to calibrate the estimator on the simulator's AU geometry (labels unused).
CALIBRATION_FACES = 40


def _iod(landmarks: np.ndarray) -> float:
    return float(np.hypot(*(landmarks[42:48].mean(0) - landmarks[36:42].mean(0))))


def face_landmarks(faces: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """(N, 68, 2) landmarks (NaN where no face was found) and each face's detection strategy."""
    from ..face import find_face, landmarks_68

    out = np.full((len(faces), 68, 2), np.nan)
    strategies = []
    for i, face in enumerate(faces):
        try:
            found = find_face(face)
            out[i] = landmarks_68(face, found.box)
            strategies.append(found.strategy)
        except FaceNotFoundError:
            strategies.append("none")
    return out, strategies


def flow_displacement_at(flow: np.ndarray, points: np.ndarray, face_shape: tuple[int, int],
                         peak_iod: float = FLOW_PEAK_IOD) -> np.ndarray:
    """(68, 2) displacement (face pixels) of a (3, S, S) min–max scaled flow at ``points``."""
    import cv2

    h, w = face_shape
    uv = np.asarray(flow[:2], np.float64)
    uv = uv - np.median(uv.reshape(2, -1), axis=1)[:, None, None]
    peak = float(np.hypot(uv[0], uv[1]).max())
    if peak <= 0:
        return np.zeros_like(points)
    uv = uv / peak * peak_iod * _iod(points)
    maps = [cv2.resize(c.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR) for c in uv]
    xs = np.clip(np.round(points[:, 0]).astype(int), 0, w - 1)
    ys = np.clip(np.round(points[:, 1]).astype(int), 0, h - 1)
    return np.stack([maps[0][ys, xs], maps[1][ys, xs]], axis=1)


def estimated_intensities(table: SampleTable, aus: list[int], peak_iod: float = FLOW_PEAK_IOD
                          ) -> tuple[np.ndarray, dict]:
    """(N, len(aus)) intensities read by the estimator (NaN where no face was found) and a summary
    of the face detection."""
    from ..augment.famgan.au_estimation import calibrate_on_displacements

    modelled = [f"AU{a}" for a in aus]
    faces, flows = table.arrays("face"), table.arrays("flow")
    landmarks, strategies = face_landmarks(faces)
    found = np.flatnonzero(~np.isnan(landmarks[:, 0, 0]))
    if not len(found):
        raise DataError("no face was found in any apex face image")
    estimator = calibrate_on_displacements([landmarks[i] for i in found[:CALIBRATION_FACES]], aus=modelled)
    out = np.full((len(table), len(aus)), np.nan)
    for i in found:
        shift = flow_displacement_at(flows[i], landmarks[i], faces[i].shape[:2], peak_iod)
        out[i] = estimator.predict(landmarks[i][None], neutral=landmarks[i] - shift)[0]
    summary = {"faces": len(table), "landmarks_found": int(len(found)),
               "strategies": {s: strategies.count(s) for s in sorted(set(strategies))}}
    return out, summary


def estimator_auc(table: SampleTable, aus: list[int], peak_iod: float = FLOW_PEAK_IOD) -> dict:
    """ROC AUC per AU of the estimator's intensities against the table's ``au:<n>`` labels."""
    from sklearn.metrics import roc_auc_score

    from ..simulate.action_units import AU_SPECS

    modelled = [a for a in aus if f"AU{a}" in AU_SPECS]
    if not modelled:
        return {"auc": {}, "not_modelled": list(aus)}
    scores, summary = estimated_intensities(table, modelled, peak_iod)
    result: dict = {"auc": {}, "n": {}, "positives": {}, **summary,
                    "not_modelled": [a for a in aus if a not in modelled], "flow_peak_iod": peak_iod}
    for k, a in enumerate(modelled):
        y = table.df[au_column(a)].to_numpy(dtype=float)
        keep = ~np.isnan(y) & ~np.isnan(scores[:, k])
        t = y[keep].astype(int)
        result["n"][str(a)], result["positives"][str(a)] = int(keep.sum()), int(t.sum())
        result["auc"][str(a)] = float(roc_auc_score(t, scores[keep, k])) if 0 < t.sum() < len(t) else None
    valid = [v for v in result["auc"].values() if v is not None]
    result["mean_auc"] = float(np.mean(valid)) if valid else None
    return result


def real_frames_check(frames: list[np.ndarray], aus: list[int]) -> dict:
    """The estimator on a real frame sequence (the first frame neutral): landmarks found, the
    landmark jitter between consecutive frames (inter-ocular distances) and the largest intensity
    read per AU. The frames carry no AU label, so this measures noise, not accuracy."""
    from ..augment.famgan.au_estimation import calibrate_on_displacements
    from ..simulate.action_units import AU_SPECS

    modelled = [f"AU{a}" for a in aus if f"AU{a}" in AU_SPECS]
    landmarks, _ = face_landmarks(np.stack(frames) if len({f.shape for f in frames}) == 1 else frames)
    ok = ~np.isnan(landmarks[:, 0, 0])
    if ok.sum() < 2 or not modelled:
        return {"frames": len(frames), "landmarks_found": int(ok.sum())}
    seq = landmarks[ok]
    iod = _iod(seq[0])
    jitter = float(np.median(np.linalg.norm(np.diff(seq, axis=0), axis=2)) / iod)
    estimator = calibrate_on_displacements([seq[0]], aus=tuple(modelled))
    intensities = estimator.predict(seq, neutral=seq[0])
    return {"frames": len(frames), "landmarks_found": int(ok.sum()), "median_jitter_iod": round(jitter, 5),
            "flow_peak_iod": FLOW_PEAK_IOD,
            "max_intensity": {a.removeprefix("AU"): round(float(v), 4) for a, v in zip(modelled, intensities.max(0))}}


__all__ = ["CALIBRATION_FACES", "FLOW_PEAK_IOD", "estimated_intensities", "estimator_auc", "face_landmarks",
           "flow_displacement_at", "real_frames_check"]
