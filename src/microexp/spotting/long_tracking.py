"""Face tracking and flow statistics of the streamed long-recording features (:mod:`.long_features`).

Detection is dlib's HOG window plus 68 landmarks, run near the last face first (a small, cheap
search) and on the whole frame when that fails. The crop box is the square around the landmarks
of :mod:`.regions` (forehead included) with extra room for drift. Region statistics of a flow
field subtract the nose's median motion first, as :func:`microexp.spotting.baseline.compensate_head_motion`
does, and use OpenCV's integral images and masked means, so a frame costs microseconds here.
"""
from __future__ import annotations


import numpy as np

from ..errors import MicroexpError
from .regions import FACE_CROP_MARGIN, eye_mask, nose_mask, FOREHEAD_FRACTION

#: Face width (px) the HOG detector runs at when searching near the last face (dlib's window is 80 px).
DETECT_FACE_PX = 110
#: Longest side of the whole-frame search when no face is known.
DETECT_FRAME_SIDE = 320
#: The crop box around the landmarks: the margin of :mod:`.regions` plus room for drift.
CROP_MARGIN = FACE_CROP_MARGIN + 0.05
#: Feature regions and the :func:`microexp.face.rois.facial_rois` boxes they use.
ROI_KEYS = ("brow_l", "brow_r", "eye_l", "eye_r", "mouth", "corner_l", "corner_r", "chin")
ROI_SOURCES = ("left_eyebrow", "right_eyebrow", "left_eye", "right_eye", "mouth", "left_mouth_corner",
               "right_mouth_corner", "chin")
FLOW_PRESETS = ("dis_ultrafast", "dis_fast", "dis_medium", "farneback")


# ------------------------------------------------------------------------------------------ flow
def flow_solver(name: str):
    """``solve(prev, next) -> (S, S, 2)`` float32 flow for grey uint8 crops; ``name`` in :data:`FLOW_PRESETS`."""
    import cv2

    if name == "farneback":
        from .flow_features import SPOTTING_FARNEBACK_WINSIZE

        return lambda a, b: cv2.calcOpticalFlowFarneback(a, b, None, 0.5, 3, SPOTTING_FARNEBACK_WINSIZE, 3, 5, 1.1, 0)
    preset = {"dis_ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST, "dis_fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
              "dis_medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM}[name]
    solver = cv2.DISOpticalFlow_create(preset)
    return lambda a, b: solver.calc(a, b, None)


# ------------------------------------------------------------------------------------------ face
def detect_landmarks(gray: np.ndarray, near: tuple[float, float, float] | None):
    """``(68, 2)`` landmarks (work pixels) of the face near the box ``near`` ``(cx, cy, side)``
    (or anywhere), or None."""
    import cv2

    from ..face.detection import frontal_face_detector
    from ..face.landmark_fitting import fit_landmarks, landmarks_plausible

    h, w = gray.shape
    searches = []
    if near is not None:
        cx, cy, side = near
        x0, y0 = max(0, int(cx - side)), max(0, int(cy - side))
        x1, y1 = min(w, int(cx + side)), min(h, int(cy + side))
        if x1 - x0 > 16 and y1 - y0 > 16:
            searches.append((x0, y0, x1, y1, min(1.0, DETECT_FACE_PX / (0.75 * side))))
    searches.append((0, 0, w, h, min(1.0, DETECT_FRAME_SIDE / max(h, w))))
    if max(h, w) > DETECT_FRAME_SIDE:
        searches.append((0, 0, w, h, 1.0))
    detector = frontal_face_detector()
    for x0, y0, x1, y1, f in searches:
        region = gray[y0:y1, x0:x1]
        if f < 1.0:
            region = cv2.resize(region, (max(1, round((x1 - x0) * f)), max(1, round((y1 - y0) * f))),
                                interpolation=cv2.INTER_AREA)
        rects, _, _ = detector.run(region, 0, 0.0)
        if not len(rects):
            continue
        r = max(rects, key=lambda r: r.width() * r.height())
        box = (x0 + r.left() / f, y0 + r.top() / f, x0 + (r.right() + 1) / f, y0 + (r.bottom() + 1) / f)
        try:
            pts = fit_landmarks(gray, tuple(int(round(v)) for v in box))
        except MicroexpError:
            continue
        if landmarks_plausible(pts):
            return pts
    return None


def crop_box(pts: np.ndarray) -> tuple[float, float, float]:
    """``(cx, cy, side)`` of the square crop around landmarks (forehead included, as in :mod:`.regions`)."""
    x0, y0 = pts.min(0)
    x1, y1 = pts.max(0)
    y0 -= FOREHEAD_FRACTION * (y1 - y0)
    side = max(x1 - x0, y1 - y0) * (1 + 2 * CROP_MARGIN)
    return (float(x0 + x1) / 2, float(y0 + y1) / 2, float(side))


def eye_distance(pts: np.ndarray) -> float:
    return float(np.linalg.norm(pts[42:48].mean(0) - pts[36:42].mean(0)))


class FaceRegions:
    """Regions of one face box in the crop's pixels: ROI boxes, eye and nose masks."""

    def __init__(self, pts_crop: np.ndarray, size: int):
        from ..face.rois import facial_rois

        boxes = facial_rois(pts_crop, (size, size))
        self.rois = [boxes[n] for n in ROI_SOURCES]
        self.eyes = eye_mask((size, size), pts_crop)
        self.nose = nose_mask((size, size), pts_crop)
        if not self.nose.any():
            self.nose[size // 2, size // 2] = True
        if self.eyes.all():
            self.eyes[:] = False
        self.eyes_u8 = self.eyes.astype(np.uint8)
        self.keep_u8 = (~self.eyes).astype(np.uint8)


def residual(flow: np.ndarray, geom: FaceRegions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(head (2,), residual u, residual v)``: the flow less the nose's median motion (as
    :func:`microexp.spotting.baseline.compensate_head_motion` does)."""
    head = np.median(flow[geom.nose], axis=0)
    return head, flow[..., 0] - np.float32(head[0]), flow[..., 1] - np.float32(head[1])


def box_means(integral: np.ndarray, boxes) -> list[float]:
    out = []
    for x0, y0, x1, y1 in boxes:
        total = integral[y1, x1] - integral[y0, x1] - integral[y1, x0] + integral[y0, x0]
        out.append(float(total) / ((x1 - x0) * (y1 - y0)))
    return out


def strain(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Optical strain magnitude ``sqrt(u_x² + v_y² + 2·((u_y + v_x)/2)²)`` with central differences
    (the formula of :func:`microexp.spotting.flow_features.strain_magnitude`, by OpenCV)."""
    import cv2

    ux = cv2.Sobel(u, cv2.CV_32F, 1, 0, ksize=1, scale=0.5)
    uy = cv2.Sobel(u, cv2.CV_32F, 0, 1, ksize=1, scale=0.5)
    vx = cv2.Sobel(v, cv2.CV_32F, 1, 0, ksize=1, scale=0.5)
    vy = cv2.Sobel(v, cv2.CV_32F, 0, 1, ksize=1, scale=0.5)
    shear = 0.5 * (uy + vx)
    return cv2.sqrt(ux * ux + vy * vy + 2 * shear * shear)


def neighbour_signal(flow: np.ndarray, geom: FaceRegions) -> tuple[float, float]:
    """``(face without the eyes, eyes)``: mean residual motion of a neighbour flow, the quantity
    :meth:`microexp.spotting.intervals.IntervalSpotter.signal` and ``eye_signal`` average."""
    import cv2

    _, u, v = residual(flow, geom)
    mag = cv2.magnitude(u, v)
    return float(cv2.mean(mag, geom.keep_u8)[0]), float(cv2.mean(mag, geom.eyes_u8)[0])
