"""FACS action units as displacements of the 68 iBUG landmarks.

Each action unit (Ekman & Friesen 1978, FACS) is written once for the subject's right half of the
face (image left in a frontal view) as ``landmark -> (outward, downward)`` displacements, and mirrored
onto the left half. Units are the inter-ocular distance (IOD, between eye centres), so the same
intensity moves a small and a large face alike: at intensity 1 the largest displacement of most
units is 0.04–0.07 IOD, i.e. 3–5 px on a face with a 70 px IOD — a micro-expression, not a
macro one.

A few *virtual* points (cheeks, forehead, below the chin) carry the motion of skin that no landmark
covers; they are derived from the landmarks and used only by the warp.
"""
from __future__ import annotations

import re

import numpy as np

from ..errors import ConfigError

#: Index of each landmark's mirror image across the face's midline (iBUG 68-point scheme).
FLIP_68: tuple[int, ...] = (
    16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0,  # jaw
    26, 25, 24, 23, 22, 21, 20, 19, 18, 17,  # brows
    27, 28, 29, 30, 35, 34, 33, 32, 31,  # nose
    45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40,  # eyes
    54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55,  # outer lips
    64, 63, 62, 61, 60, 67, 66, 65,  # inner lips
)
MIDLINE_68: frozenset[int] = frozenset(i for i, j in enumerate(FLIP_68) if i == j)
#: Landmarks on the subject's right half (image left when the face looks at the camera).
RIGHT_HALF_68: frozenset[int] = frozenset(
    i for i in range(68) if i not in MIDLINE_68 and i in
    set(range(0, 8)) | set(range(17, 22)) | {31, 32} | set(range(36, 42)) | {48, 49, 50, 58, 59, 60, 61, 67}
)
LEFT_HALF_68: frozenset[int] = frozenset(FLIP_68[i] for i in RIGHT_HALF_68)

#: Virtual points (right-half names; ``_l`` twins are mirrored), see :func:`virtual_points`.
VIRTUAL_NAMES: tuple[str, ...] = ("cheek_r", "cheek_l", "forehead_r", "forehead_l", "forehead_c", "chin_below")

Spec = dict  # {landmark index or virtual name (right half / midline): (outward, down)}

#: Right-half displacement of each action unit at intensity 1, in IOD units (outward, down).
AU_SPECS: dict[str, Spec] = {
    "AU1": {21: (0.0, -0.07), 20: (0.0, -0.05), 19: (0.0, -0.025), "forehead_c": (0.0, -0.04),
            "forehead_r": (0.0, -0.02)},  # inner brow raiser
    "AU2": {17: (0.0, -0.05), 18: (0.0, -0.065), 19: (0.0, -0.045), 20: (0.0, -0.02),
            "forehead_r": (0.0, -0.035)},  # outer brow raiser
    "AU4": {21: (-0.035, 0.035), 20: (-0.02, 0.035), 19: (-0.01, 0.025), 18: (0.0, 0.015),
            37: (0.0, 0.01), 38: (0.0, 0.012), "forehead_c": (0.0, 0.015)},  # brow lowerer
    "AU5": {37: (0.0, -0.035), 38: (0.0, -0.035), 19: (0.0, -0.01), 20: (0.0, -0.01)},  # upper lid raiser
    "AU6": {40: (0.0, -0.025), 41: (0.0, -0.03), 36: (0.005, -0.01), "cheek_r": (0.0, -0.04),
            1: (0.0, -0.015), 2: (0.0, -0.02), 3: (0.0, -0.01)},  # cheek raiser
    "AU7": {40: (0.0, -0.03), 41: (0.0, -0.03), 37: (0.0, 0.012), 38: (0.0, 0.012)},  # lid tightener
    "AU9": {31: (0.01, -0.035), 32: (0.0, -0.03), 33: (0.0, -0.025), 30: (0.0, -0.02), 29: (0.0, -0.015),
            21: (0.0, 0.02), 39: (0.0, -0.01), 49: (0.0, -0.01), 50: (0.0, -0.015), 51: (0.0, -0.015),
            "cheek_r": (0.0, -0.015)},  # nose wrinkler
    "AU10": {50: (0.0, -0.05), 51: (0.0, -0.045), 49: (0.0, -0.035), 61: (0.0, -0.045), 62: (0.0, -0.04),
             31: (0.005, -0.01), 48: (0.0, -0.01)},  # upper lip raiser
    "AU12": {48: (0.05, -0.035), 60: (0.04, -0.03), 49: (0.025, -0.02), 59: (0.025, -0.015),
             61: (0.01, -0.01), 67: (0.01, -0.01), 50: (0.01, -0.01), "cheek_r": (0.015, -0.025)},  # lip corner puller
    "AU14": {48: (0.03, 0.0), 60: (0.025, 0.0), 49: (0.012, 0.0), 59: (0.012, 0.0),
             "cheek_r": (0.008, 0.0)},  # dimpler
    "AU15": {48: (0.0, 0.05), 60: (0.0, 0.04), 59: (0.0, 0.025), 49: (0.0, 0.02), 58: (0.0, 0.01),
             67: (0.0, 0.01)},  # lip corner depressor
    "AU17": {8: (0.0, -0.04), 7: (0.0, -0.035), 6: (0.0, -0.02), 57: (0.0, -0.03), 58: (0.0, -0.028),
             59: (0.0, -0.015), 66: (0.0, -0.02), 67: (0.0, -0.015), 48: (0.0, 0.01),
             "chin_below": (0.0, -0.02)},  # chin raiser
    "AU20": {48: (0.05, 0.01), 60: (0.04, 0.005), 49: (0.02, 0.0), 59: (0.025, 0.01), 61: (0.01, 0.0),
             67: (0.01, 0.0), 5: (0.0, 0.005)},  # lip stretcher
    "AU23": {48: (-0.02, 0.0), 60: (-0.015, 0.0), 50: (0.0, 0.01), 51: (0.0, 0.012), 58: (0.0, -0.01),
             57: (0.0, -0.012)},  # lip tightener
    "AU24": {50: (0.0, 0.015), 51: (0.0, 0.015), 61: (0.0, 0.01), 62: (0.0, 0.01), 58: (0.0, -0.02),
             57: (0.0, -0.02), 67: (0.0, -0.012), 66: (0.0, -0.012), 48: (-0.01, 0.0)},  # lip pressor
    "AU25": {66: (0.0, 0.03), 67: (0.0, 0.03), 57: (0.0, 0.025), 58: (0.0, 0.025), 59: (0.0, 0.015),
             62: (0.0, -0.01), 61: (0.0, -0.008)},  # lips part
    "AU26": {8: (0.0, 0.06), 7: (0.0, 0.055), 6: (0.0, 0.045), 5: (0.0, 0.03), 4: (0.0, 0.015),
             57: (0.0, 0.05), 58: (0.0, 0.05), 59: (0.0, 0.04), 66: (0.0, 0.045), 67: (0.0, 0.045),
             48: (0.0, 0.02), 60: (0.0, 0.02), "chin_below": (0.0, 0.06)},  # jaw drop
    "AU38": {31: (0.015, 0.0), 32: (0.006, 0.0)},  # nostril dilator
}

_AU_KEY = re.compile(r"^(?:AU)?\s*([LR])?\s*(\d+)$", re.IGNORECASE)


def parse_au_key(key: str) -> tuple[str, str | None]:
    """``'AU12'``, ``'12'`` → ``('AU12', None)``; ``'L10'`` / ``'AUR2'`` → ``('AU10', 'L')`` / ``('AU2', 'R')``.

    ``L``/``R`` are the subject's left/right, as in CASME II's coding sheet.
    """
    m = _AU_KEY.match(str(key).strip())
    if not m:
        raise ConfigError(f"not an action unit: {key!r} (expected e.g. 'AU12', '12', 'L10')")
    name = f"AU{int(m.group(2))}"
    if name not in AU_SPECS:
        raise ConfigError(f"action unit {name} is not modelled; modelled units: {', '.join(AU_SPECS)}")
    side = m.group(1).upper() if m.group(1) else None
    return name, side


def _face_frame(landmarks: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Unit vectors along the eye line (toward the subject's left) and down the face, and the IOD."""
    right_eye = landmarks[36:42].mean(axis=0)
    left_eye = landmarks[42:48].mean(axis=0)
    across = left_eye - right_eye
    iod = float(np.hypot(*across))
    if iod < 1e-6:
        raise ConfigError("landmarks have coincident eyes; cannot build a face frame")
    ex = across / iod
    ey = np.array([-ex[1], ex[0]])  # 90° clockwise in image coordinates: points to the chin
    return ex, ey, iod


def virtual_points(landmarks: np.ndarray) -> np.ndarray:
    """(6, 2) positions of the virtual points named in :data:`VIRTUAL_NAMES`."""
    L = np.asarray(landmarks, dtype=np.float64)
    cheek_r = (L[41] + L[31] + L[2] + L[48]) / 4.0
    cheek_l = (L[46] + L[35] + L[14] + L[54]) / 4.0
    forehead_r = L[19] + (L[19] - L[37])
    forehead_l = L[24] + (L[24] - L[44])
    brow_mid = (L[21] + L[22]) / 2.0
    forehead_c = brow_mid + (brow_mid - L[28])
    chin_below = L[8] + 0.5 * (L[8] - L[57])
    return np.stack([cheek_r, cheek_l, forehead_r, forehead_l, forehead_c, chin_below])


def _side_of(key) -> str:
    if isinstance(key, str):
        return "L" if key.endswith("_l") else ("M" if key in ("forehead_c", "chin_below") else "R")
    if key in MIDLINE_68:
        return "M"
    return "R" if key in RIGHT_HALF_68 else "L"


def _mirror(key):
    if isinstance(key, str):
        return key[:-2] + "_l" if key.endswith("_r") else key
    return FLIP_68[key]


def _index(key) -> int:
    return key if isinstance(key, int) else 68 + VIRTUAL_NAMES.index(key)


def au_displacements_with_virtual(landmarks: np.ndarray, au_intensities: dict[str, float],
                                  side_scale: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """(74, 2) pixel displacements of the 68 landmarks followed by the 6 virtual points.

    ``side_scale=(left, right)`` scales the subject's left and right halves (midline points take
    the mean); an ``'L'``/``'R'`` prefix on a key (``'L10'``) makes that unit one-sided.
    """
    L = np.asarray(landmarks, dtype=np.float64)
    if L.shape != (68, 2):
        raise ConfigError(f"expected (68, 2) landmarks, got {L.shape}")
    ex, ey, iod = _face_frame(L)
    out = np.zeros((68 + len(VIRTUAL_NAMES), 2))
    for key, intensity in au_intensities.items():
        if intensity == 0:
            continue
        name, only = parse_au_key(key)
        scale = {"L": float(side_scale[0]), "R": float(side_scale[1])}
        if only is not None:
            scale = {"L": scale["L"] if only == "L" else 0.0, "R": scale["R"] if only == "R" else 0.0}
        scale["M"] = (scale["L"] + scale["R"]) / 2.0
        for key_r, (outward, down) in AU_SPECS[name].items():
            side = _side_of(key_r)
            targets = [(key_r, side)] if side == "M" else [(key_r, "R"), (_mirror(key_r), "L")]
            for k, s in targets:
                # outward is toward the subject's right (−ex) on the right half, toward the left (+ex) on the left
                sign = -1.0 if s == "R" else 1.0
                d = (sign * outward * ex + down * ey) if s != "M" else down * ey
                out[_index(k)] += float(intensity) * scale[s] * iod * d
    return out


def au_displacements(landmarks: np.ndarray, au_intensities: dict[str, float],
                     side_scale: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """(68, 2) pixel displacements (x, y) of the landmarks for the given AU intensities.

    ``landmarks``: (68, 2) iBUG points in pixels. ``au_intensities``: ``{'AU12': 1.0, 'L10': 0.5}``
    (intensity 1 ≈ a micro-expression's apex). ``side_scale``: (subject's left, right) multipliers.
    """
    return au_displacements_with_virtual(landmarks, au_intensities, side_scale)[:68]


#: Fractions of the eye opening travelled at a full blink by the upper and the lower lid.
BLINK_UPPER_TRAVEL, BLINK_LOWER_TRAVEL = 0.6, 0.1


def blink_displacements(landmarks: np.ndarray, closure: float) -> np.ndarray:
    """(74, 2) displacements closing both upper eyelids by ``closure`` (0 open … 1 shut; AU43/45)."""
    L = np.asarray(landmarks, dtype=np.float64)
    out = np.zeros((68 + len(VIRTUAL_NAMES), 2))
    for upper, lower in ((37, 41), (38, 40), (43, 47), (44, 46)):
        # The upper lid travels most of the way and the lower lid rises a little. The lids never
        # meet: a warp cannot fold skin over the eye, and coinciding control points with
        # different motions would make the spline blow up.
        gap = L[lower] - L[upper]
        out[upper] += BLINK_UPPER_TRAVEL * closure * gap
        out[lower] -= BLINK_LOWER_TRAVEL * closure * gap
    return out
