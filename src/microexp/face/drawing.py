"""Pictures for checking by eye: landmarks and ROIs drawn over a face."""
from __future__ import annotations

import numpy as np

from .image_input import check_image, check_landmarks

#: RGB colours: landmarks green, ROI boxes orange, ROI names white.
LANDMARK_COLOUR = (0, 230, 0)
ROI_COLOUR = (255, 150, 0)
TEXT_COLOUR = (255, 255, 255)


def draw_landmarks(image: np.ndarray, landmarks: np.ndarray, rois: dict | None = None,
                   *, radius: int | None = None, label_rois: bool = False) -> np.ndarray:
    """RGB uint8 copy of ``image`` with the 68 points (and ``rois`` boxes, when given) drawn."""
    import cv2

    image = check_image(image)
    pts = check_landmarks(landmarks)
    canvas = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB) if image.ndim == 2 else image.copy()
    side = min(canvas.shape[:2])
    r = radius if radius is not None else max(1, side // 150)
    thickness = max(1, side // 250)
    if rois:
        for name, (x0, y0, x1, y1) in rois.items():
            cv2.rectangle(canvas, (int(x0), int(y0)), (int(x1) - 1, int(y1) - 1), ROI_COLOUR, thickness)
            if label_rois:
                cv2.putText(canvas, name, (int(x0) + 1, int(y0) + 8), cv2.FONT_HERSHEY_PLAIN,
                            max(0.5, side / 500), TEXT_COLOUR, 1, cv2.LINE_AA)
    for x, y in pts:
        cv2.circle(canvas, (int(round(x)), int(round(y))), r, LANDMARK_COLOUR, -1, cv2.LINE_AA)
    return canvas
