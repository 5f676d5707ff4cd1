"""AU intensities from 68-point landmark geometry, calibrated on the simulator's ground truth.

Paper 002 reads AUs with OpenFace; no such detector ships here, so AUs are estimated from how
the landmarks moved since a neutral (onset) frame:

1. the frame's landmarks are aligned to the neutral ones by a similarity transform fitted on
   points no modelled AU moves (jaw tops, nose bridge top, eye corners), removing head motion;
2. displacements are expressed in the neutral face's frame (outward, down) in inter-ocular
   distances (IOD), one *half face* at a time: the subject's right half as it is, the left half
   mirrored onto it (:data:`FLIP_68`), so one half-face model reads either side;
3. a linear model between half-face displacements and AU intensities is fitted on simulated
   faces whose AU intensities are known (:func:`calibrate_on_displacements` — landmark geometry
   only — or on landmarks detected in rendered clips).

Limits, stated plainly: it needs a neutral frame of the same face; it only knows the AUs the
simulator models (:data:`AU_SPECS`) and their geometry, not FACS-coded real faces; AUs that move
the same landmarks the same way (AU12 / AU14 / AU20 on the lip corners) are partly confused;
AUs with no landmark motion (texture-only, e.g. wrinkles of AU9 beyond the nose) are invisible;
out-of-plane head rotation is not removed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...errors import ConfigError, DataError
from ...simulate.action_units import AU_SPECS, FLIP_68, MIDLINE_68, RIGHT_HALF_68, au_displacements

#: Landmarks read by the half-face model: the subject's right half plus the midline.
HALF_FACE_POINTS: tuple[int, ...] = tuple(sorted(RIGHT_HALF_68 | MIDLINE_68))
#: Points used to remove head motion; no modelled AU moves them by more than 0.005 IOD.
STABLE_POINTS: tuple[int, ...] = (0, 16, 27, 36, 39, 42, 45)
#: Default AU list: every unit the simulator models.
DEFAULT_AUS: tuple[str, ...] = tuple(AU_SPECS)
#: Regularisation of the AU read-out, relative to the mean feature (or AU pattern) energy.
DEFAULT_RIDGE = 1e-2


def _check(landmarks, name="landmarks") -> np.ndarray:
    arr = np.asarray(landmarks, dtype=np.float64)
    if arr.shape[-2:] != (68, 2):
        raise DataError(f"{name} must be (..., 68, 2); got {arr.shape}")
    return arr


def similarity_align(points: np.ndarray, reference: np.ndarray, subset=STABLE_POINTS) -> np.ndarray:
    """``points`` (68, 2) mapped by the similarity transform taking ``points[subset]`` onto ``reference[subset]``."""
    src, dst = points[list(subset)], reference[list(subset)]
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    # complex-number least squares: dst ≈ s·R·src
    za, zb = a[:, 0] + 1j * a[:, 1], b[:, 0] + 1j * b[:, 1]
    coef = (np.conj(za) @ zb) / max(float((np.abs(za) ** 2).sum()), 1e-12)
    zp = (points[:, 0] - mu_s[0]) + 1j * (points[:, 1] - mu_s[1])
    out = coef * zp
    return np.stack([out.real + mu_d[0], out.imag + mu_d[1]], axis=1)


def _face_frame(neutral: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    right_eye, left_eye = neutral[36:42].mean(0), neutral[42:48].mean(0)
    across = left_eye - right_eye
    iod = float(np.hypot(*across))
    if iod < 1e-6:
        raise DataError("neutral landmarks have coincident eyes")
    ex = across / iod
    return ex, np.array([-ex[1], ex[0]]), iod


def half_face_features(landmarks, neutral, align: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Features of the subject's right and left half, each ``(2 · len(HALF_FACE_POINTS),)``.

    Displacements from ``neutral`` in IOD units along (outward, down); the left half is mirrored so
    both halves share one coordinate system and one regression.
    """
    L, N = _check(landmarks), _check(neutral, "neutral landmarks")
    if align:
        L = similarity_align(L, N)
    ex, ey, iod = _face_frame(N)
    disp = (L - N) / iod
    out = []
    for side in ("R", "L"):
        idx = [p if side == "R" else FLIP_68[p] for p in HALF_FACE_POINTS]
        outward = -ex if side == "R" else ex
        d = disp[idx]
        out.append(np.concatenate([d @ outward, d @ ey]))
    return out[0], out[1]


@dataclass
class LandmarkAUEstimator:
    """Half-face model from landmark displacements to AU intensities (one model, read per side).

    ``predict_sides(landmarks_seq, neutral)`` → (left, right) ``(T, A)`` (subject's sides);
    ``predict(landmarks_seq, neutral)`` → their mean ``(T, A)``.

    ``method="forward"`` (default) fits the forward model ``features ≈ AUs · D`` (no intercept: a
    face that did not move shows no AU) and inverts it frame by frame by non-negative, Tikhonov
    regularised least squares. Detector jitter sits on the features; a regression of AUs on noisy
    features would shrink every estimate toward zero (errors-in-variables), the forward fit keeps
    the gain right and leaves the jitter to the temporal filter (eq. 2). ``method="ridge"`` regresses
    AUs on features directly (smoother, attenuated).
    """

    aus: tuple[str, ...] = DEFAULT_AUS
    ridge: float = DEFAULT_RIDGE
    method: str = "forward"
    patterns_: np.ndarray | None = field(default=None, repr=False)
    coef_: np.ndarray | None = field(default=None, repr=False)
    intercept_: np.ndarray | None = field(default=None, repr=False)

    def fit_features(self, features: np.ndarray, targets: np.ndarray) -> "LandmarkAUEstimator":
        """Fit on rows of half-face features ``(n, F)`` with their AU intensities ``(n, A)``."""
        X, Y = np.asarray(features, np.float64), np.asarray(targets, np.float64)
        if len(X) != len(Y) or Y.ndim != 2 or Y.shape[1] != len(self.aus):
            raise DataError(f"features {X.shape} and targets {Y.shape} do not match {len(self.aus)} AUs")
        if self.method == "forward":
            gy = Y.T @ Y
            gy = gy + 1e-6 * (float(np.mean(np.diag(gy))) + 1e-12) * np.eye(len(self.aus))
            self.patterns_ = np.linalg.solve(gy, Y.T @ X)  # (A, F) displacement pattern of each AU
        elif self.method == "ridge":
            mx, my = X.mean(0), Y.mean(0)
            Xc, Yc = X - mx, Y - my
            gram = Xc.T @ Xc
            # ridge relative to the mean feature energy, so it means the same whatever the units
            gram = gram + self.ridge * (float(np.mean(np.diag(gram))) + 1e-12) * np.eye(X.shape[1])
            self.coef_ = np.linalg.solve(gram, Xc.T @ Yc)
            self.intercept_ = my - mx @ self.coef_
        else:
            raise ConfigError(f"unknown calibration method {self.method!r}; choose 'forward' or 'ridge'")
        return self

    def _predict_features(self, feats: np.ndarray) -> np.ndarray:
        feats = np.atleast_2d(np.asarray(feats, np.float64))
        if self.method == "forward":
            if self.patterns_ is None:
                raise ConfigError("LandmarkAUEstimator is not calibrated; call a calibrate_* function first")
            from scipy.optimize import nnls

            D = self.patterns_
            lam = self.ridge * (float(np.mean(np.sum(D * D, axis=1))) + 1e-12)
            A = np.vstack([D.T, np.sqrt(lam) * np.eye(len(self.aus))])
            pad = np.zeros(len(self.aus))
            return np.array([nnls(A, np.concatenate([f, pad]))[0] for f in feats])
        if self.coef_ is None:
            raise ConfigError("LandmarkAUEstimator is not calibrated; call a calibrate_* function first")
        return np.clip(feats @ self.coef_ + self.intercept_, 0.0, None)

    def predict_sides(self, landmarks_seq, neutral=None) -> tuple[np.ndarray, np.ndarray]:
        seq = _check(landmarks_seq)
        if seq.ndim == 2:
            seq = seq[None]
        neutral = seq[0] if neutral is None else _check(neutral, "neutral landmarks")
        right, left = zip(*(half_face_features(f, neutral) for f in seq))
        return self._predict_features(np.array(left)), self._predict_features(np.array(right))

    def predict(self, landmarks_seq, neutral=None) -> np.ndarray:
        left, right = self.predict_sides(landmarks_seq, neutral)
        return (left + right) / 2.0

    def to_dict(self) -> dict:
        arrays = {k: None if v is None else np.asarray(v).tolist()
                  for k, v in (("patterns", self.patterns_), ("coef", self.coef_), ("intercept", self.intercept_))}
        return {"aus": list(self.aus), "ridge": self.ridge, "method": self.method, **arrays}

    @classmethod
    def from_dict(cls, d: dict) -> "LandmarkAUEstimator":
        est = cls(tuple(d["aus"]), float(d["ridge"]), method=d.get("method", "forward"))
        for key in ("patterns", "coef", "intercept"):
            if d.get(key) is not None:
                setattr(est, f"{key}_", np.array(d[key]))
        return est


def random_au_vectors(n: int, aus=DEFAULT_AUS, rng=None, active_max: int = 3, intensity_max: float = 1.5,
                      asymmetric: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """``n`` random sparse AU settings: intensities (n, A) and side scales (n, 2) (left, right).

    Setting ``i`` holds unit ``i mod A`` plus up to ``active_max - 1`` random others.

    A fraction ``asymmetric`` of settings scale one side down, so the half-face model sees sides differ.
    """
    rng = np.random.default_rng(rng)
    I = np.zeros((n, len(aus)))
    for i in range(n):
        # setting i always holds AU number i mod A, so a few settings already cover every unit
        k = int(rng.integers(1, active_max + 1))
        others = rng.permutation([a for a in range(len(aus)) if a != i % len(aus)])[: k - 1]
        active = np.concatenate([[i % len(aus)], others]).astype(int)
        I[i, active] = rng.uniform(0.1, intensity_max, len(active))
    scales = np.ones((n, 2))
    asym = rng.random(n) < asymmetric
    scales[asym, rng.integers(0, 2, asym.sum())] = rng.uniform(0.0, 0.8, asym.sum())
    return I, scales


def calibrate_on_displacements(base_faces, n_samples: int = 400, aus=DEFAULT_AUS, noise_iod: float = 0.004,
                               seed: int = 0, ridge: float = DEFAULT_RIDGE) -> LandmarkAUEstimator:
    """Calibrate on the simulator's AU geometry applied to ``base_faces`` (list of (68, 2) neutral landmarks).

    ``noise_iod`` adds landmark jitter (IOD units) of the size a detector shows on a still face, so
    the regression learns to ignore it rather than to invert exact geometry.
    """
    rng = np.random.default_rng(seed)
    faces = [_check(f) for f in base_faces]
    I, scales = random_au_vectors(n_samples, aus, rng)
    feats, targets = [], []
    for i in range(n_samples):
        neutral = faces[i % len(faces)]
        iod = _face_frame(neutral)[2]
        moved = neutral + au_displacements(neutral, dict(zip(aus, I[i])), side_scale=tuple(scales[i]))
        moved = moved + rng.normal(0, noise_iod * iod, moved.shape)
        noisy_neutral = neutral + rng.normal(0, noise_iod * iod, neutral.shape)
        right, left = half_face_features(moved, noisy_neutral)
        feats += [right, left]
        targets += [I[i] * scales[i, 1], I[i] * scales[i, 0]]
    return LandmarkAUEstimator(tuple(aus), ridge).fit_features(np.array(feats), np.array(targets))


def calibrate_on_landmark_sequences(landmark_seqs, au_seqs, side_scales=None, aus=DEFAULT_AUS,
                                    ridge: float = DEFAULT_RIDGE) -> LandmarkAUEstimator:
    """Calibrate on landmark sequences ``(T, 68, 2)`` (e.g. detected in rendered clips, first frame
    neutral) with ground-truth AU sequences ``(T, A)`` and optional per-clip (left, right) scales."""
    feats, targets = [], []
    for c, (lms, au) in enumerate(zip(landmark_seqs, au_seqs)):
        lms, au = _check(lms), np.asarray(au, np.float64)
        if len(lms) != len(au):
            raise DataError(f"clip {c}: {len(lms)} landmark frames but {len(au)} AU frames")
        left_s, right_s = (1.0, 1.0) if side_scales is None else side_scales[c]
        for t in range(len(lms)):
            right, left = half_face_features(lms[t], lms[0])
            feats += [right, left]
            targets += [au[t] * right_s, au[t] * left_s]
    return LandmarkAUEstimator(tuple(aus), ridge).fit_features(np.array(feats), np.array(targets))
