"""Smooth image warps driven by a few moving points: thin-plate splines sampled with ``cv2.remap``.

A thin-plate spline (Bookstein 1989, "Principal warps") interpolates displacements given at
scattered control points with the least bending energy, so a few moving landmarks drag the skin
around them smoothly while landmarks that stay put, and anchors on the image border, hold the rest
of the face still.
"""
from __future__ import annotations

import numpy as np

from .action_units import au_displacements_with_virtual, virtual_points

#: Ridge added to the spline's kernel matrix (kernel values are ~10^2-10^4 at face scale):
#: near-coincident control points (the inner lip contours of a closed mouth) would otherwise make
#: the spline overshoot. The spline then passes near, not exactly through, the control values;
#: :func:`forward_positions` gives where points really go.
TPS_REGULARISATION = 10.0


def _tps_kernel(r2: np.ndarray) -> np.ndarray:
    # U(r) = r² log r² (the factor ½ of r² log r is absorbed by the weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = r2 * np.log(r2)
    k[r2 <= 0] = 0.0
    return k


def fit_thin_plate_spline(controls: np.ndarray, values: np.ndarray,
                          regularisation: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Weights ``(n, d)`` and affine part ``(3, d)`` of the spline through ``values`` at ``controls`` (n, 2)."""
    if regularisation is None:
        regularisation = TPS_REGULARISATION
    c = np.asarray(controls, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    n = len(c)
    K = _tps_kernel(((c[:, None, :] - c[None, :, :]) ** 2).sum(-1)) + regularisation * np.eye(n)
    P = np.hstack([np.ones((n, 1)), c])
    A = np.zeros((n + 3, n + 3))
    A[:n, :n], A[:n, n:], A[n:, :n] = K, P, P.T
    rhs = np.zeros((n + 3, v.shape[1]))
    rhs[:n] = v
    sol = np.linalg.solve(A, rhs)
    return sol[:n], sol[n:]


def evaluate_thin_plate_spline(controls: np.ndarray, weights: np.ndarray, affine: np.ndarray,
                               points: np.ndarray, chunk: int = 32768) -> np.ndarray:
    """Spline values (m, d) at ``points`` (m, 2)."""
    c = np.asarray(controls, dtype=np.float64)
    pts = np.asarray(points, dtype=np.float64)
    # distances relative to the controls' centre keep the float32 kernel accurate
    centre = c.mean(axis=0)
    c32 = (c - centre).astype(np.float32)
    w32 = weights.astype(np.float32)
    c_sq = (c32 ** 2).sum(1)
    out = np.empty((len(pts), weights.shape[1]))
    for s in range(0, len(pts), chunk):
        p = (pts[s:s + chunk] - centre).astype(np.float32)
        r2 = (p ** 2).sum(1)[:, None] + c_sq[None, :] - 2.0 * (p @ c32.T)
        np.maximum(r2, 1e-12, out=r2)
        k = r2 * np.log(r2)
        out[s:s + chunk] = k @ w32 + affine[0] + pts[s:s + chunk] @ affine[1:]
    return out


def border_anchors(shape: tuple[int, int], per_side: int = 5) -> np.ndarray:
    """(4·per_side, 2) points spaced along the image border, where the warp must vanish."""
    h, w = shape[:2]
    t = np.linspace(0.0, 1.0, per_side, endpoint=False)
    top = np.stack([t * (w - 1), np.zeros_like(t)], 1)
    right = np.stack([np.full_like(t, w - 1), t * (h - 1)], 1)
    bottom = np.stack([(1 - t) * (w - 1), np.full_like(t, h - 1)], 1)
    left = np.stack([np.zeros_like(t), (1 - t) * (h - 1)], 1)
    return np.vstack([top, right, bottom, left])


def dense_field(shape: tuple[int, int], controls: np.ndarray, values: np.ndarray, step: int = 1) -> np.ndarray:
    """(H, W, 2) float32 spline through ``values`` (n, 2) at ``controls`` over every pixel.

    ``step > 1`` evaluates on a coarser grid and resizes (the spline is smooth, so 2 loses little).
    """
    import cv2

    h, w = shape[:2]
    weights, affine = fit_thin_plate_spline(controls, values)
    ys, xs = np.mgrid[0:h:step, 0:w:step]
    pts = np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float64)
    field = evaluate_thin_plate_spline(controls, weights, affine, pts).reshape(ys.shape + (2,)).astype(np.float32)
    if step > 1:
        field = cv2.resize(field, (w, h), interpolation=cv2.INTER_LINEAR)
    return field


def backward_displacement_field(shape: tuple[int, int], points: np.ndarray, displacements: np.ndarray,
                                anchors_per_side: int = 5) -> np.ndarray:
    """(H, W, 2) field ``B`` such that ``out(x) = img(x + B(x))`` moves ``points`` by ``displacements``.

    Points that do not move are kept as zero-displacement controls: they stop the motion of one
    feature from spreading into its neighbours.
    """
    pts = np.asarray(points, dtype=np.float64)
    disp = np.asarray(displacements, dtype=np.float64)
    anchors = border_anchors(shape, anchors_per_side)
    controls = np.vstack([pts + disp, anchors])
    values = np.vstack([-disp, np.zeros_like(anchors)])
    return dense_field(shape, controls, values, step=2)


def remap_with_field(image: np.ndarray, field: np.ndarray, base_grid: np.ndarray | None = None) -> np.ndarray:
    """Sample ``image`` at ``grid + field`` (bilinear, border reflected); same dtype as ``image``."""
    import cv2

    h, w = image.shape[:2]
    if base_grid is None:
        base_grid = identity_grid((h, w))
    m = base_grid + field
    return cv2.remap(image, m[..., 0], m[..., 1], interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)


def sample_field(field: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(n, 2) bilinear samples of an (H, W, 2) field at (n, 2) points."""
    import cv2

    pts = np.asarray(points, dtype=np.float32)
    xs, ys = pts[None, :, 0].copy(), pts[None, :, 1].copy()
    return np.stack([cv2.remap(np.ascontiguousarray(field[..., k]), xs, ys, cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)[0] for k in range(2)], 1).astype(np.float64)


def forward_positions(field: np.ndarray, points: np.ndarray, guess: np.ndarray | None = None,
                      iterations: int = 4) -> np.ndarray:
    """Where ``points`` (n, 2) end up under the backward ``field``: solves ``q + field(q) = p``."""
    p = np.asarray(points, dtype=np.float64)
    q = p.copy() if guess is None else np.asarray(guess, dtype=np.float64).copy()
    for _ in range(iterations):
        q = p - sample_field(field, q)
    return q


def identity_grid(shape: tuple[int, int]) -> np.ndarray:
    """(H, W, 2) float32 pixel coordinates (x, y)."""
    h, w = shape[:2]
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    return np.stack([xs, ys], -1)


def expression_field(shape: tuple[int, int], landmarks: np.ndarray, au_intensities: dict[str, float],
                     side_scale: tuple[float, float] = (1.0, 1.0), extra: np.ndarray | None = None) -> np.ndarray:
    """(H, W, 2) backward field of an expression; ``extra`` (74, 2) adds e.g. a blink's displacements."""
    disp = au_displacements_with_virtual(landmarks, au_intensities, side_scale)
    if extra is not None:
        disp = disp + extra
    points = np.vstack([np.asarray(landmarks, dtype=np.float64), virtual_points(landmarks)])
    field = backward_displacement_field(shape, points, disp)
    return field * face_mask(shape, points)[..., None]


#: The face mask reaches this far (in IOD) beyond the hull of the landmarks, then fades out over as much again.
FACE_MASK_MARGIN_IOD = 0.25


def face_mask(shape: tuple[int, int], points: np.ndarray, margin_iod: float = FACE_MASK_MARGIN_IOD) -> np.ndarray:
    """(H, W) float32 weight: 1 on the face (hull of ``points`` plus a margin), fading to 0 beyond.

    A thin-plate spline has global support; the mask keeps hair, clothes and background still.
    """
    import cv2

    h, w = shape[:2]
    pts = np.asarray(points, dtype=np.float64)
    iod = float(np.linalg.norm(pts[42:48].mean(0) - pts[36:42].mean(0)))
    hull = cv2.convexHull(np.round(pts).astype(np.int32))
    inside = np.zeros((h, w), np.uint8)
    cv2.fillConvexPoly(inside, hull, 1)
    dist = cv2.distanceTransform(1 - inside, cv2.DIST_L2, 5)
    margin = margin_iod * iod
    ramp = np.clip((dist - margin) / margin, 0.0, 1.0)
    return (0.5 + 0.5 * np.cos(np.pi * ramp)).astype(np.float32)


def warp_face_by_aus(image: np.ndarray, landmarks: np.ndarray, au_intensities: dict[str, float],
                     side_scale: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """The face in ``image`` (H, W[, C]) showing the given action units; same shape and dtype.

    ``landmarks``: (68, 2) iBUG points of the face in pixels; ``au_intensities``: ``{'AU12': 1.0}``
    (see :func:`microexp.simulate.action_units.au_displacements`); ``side_scale``: (left, right).
    The moved landmarks are ``landmarks + au_displacements(landmarks, au_intensities, side_scale)``.
    """
    field = expression_field(image.shape[:2], landmarks, au_intensities, side_scale)
    return remap_with_field(image, field)
