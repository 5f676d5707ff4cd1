"""What happens when in a simulated long recording: expressions, blinks, head turns, talking, light.

Everything is planned before the first frame is drawn, as a few floats per frame (head pose,
brightness, eyelid closure, mouth motion) and lists of events, so that the renderer can stream
frames without ever holding the video. Expressions follow the rates and durations measured on
the real sheets (:mod:`.long_calibration`); nuisances follow typical values for people watching
video clips in a lab (the recording set-up of CAS(ME)^2, SAMM-LV and CAS(ME)^3).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace

import numpy as np

from ..errors import ConfigError
from ..labels import to_megc3
from .emotions import DEFAULT_EMOTION_WEIGHTS, ExpressionSpec, sample_expression
from .long_calibration import DEFAULT_CALIBRATIONS, DatabaseCalibration, TypeCalibration
from .nuisances import smooth_drift
from .timeline import APEX_FRACTION_RANGE, MIN_FRAMES, Timeline

#: A micro-expression lasts at most 0.5 s (Yan et al. 2013); longer movements are macro-expressions.
MICRO_MAX_S = 0.5
#: Longest simulated macro-expression: CAS(ME)^3's longest is 4.0 s and SAMM-LV's q90 3.4 s; the few
#: much longer SAMM-LV intervals (up to 26 s) would not fit short recordings.
MACRO_MAX_S = 4.0
#: No expression starts or ends closer than this to the recording's ends.
EDGE_MARGIN_S = 0.5
#: Tries to place one event where it overlaps nothing before it is dropped.
PLACEMENT_TRIES = 60


@dataclass(frozen=True)
class LongRecordingProfile:
    """Settings of a simulated long recording (seconds, per-minute rates, output-frame pixels).

    Expressions: ``calibration`` gives rates and duration distributions; ``micro_per_minute`` and
    ``macro_per_minute`` override its rates; ``micro_intensity`` / ``macro_intensity`` scale the
    AU intensities of :mod:`.emotions` (1 ≈ a micro-expression's apex); ``min_gap_s`` separates two
    expressions. ``face_height`` is the face's height (hairline to chin) as a fraction of the
    frame's height (0.42-0.62 of 480 px: 200-300 px).
    Nuisances: blinks (rate, duration), head turns (rate; shift px, roll and yaw degrees, time to
    turn, time held before turning back), slow head drift (px, degrees), talking (bursts per
    minute, burst length, syllables per second), illumination (slow relative gain drift, sudden
    steps per minute and their relative size, frame-to-frame flicker) and sensor noise (grey levels).
    """

    name: str
    fps: float
    calibration: DatabaseCalibration
    frame_size: tuple[int, int] = (640, 480)
    micro_per_minute: float | None = None
    macro_per_minute: float | None = None
    micro_intensity: tuple[float, float] = (0.9, 1.4)
    macro_intensity: tuple[float, float] = (2.0, 3.5)
    min_gap_s: float = 0.3
    face_height: tuple[float, float] = (0.42, 0.62)
    blinks_per_minute: float = 15.0
    blink_duration_s: tuple[float, float] = (0.1, 0.4)
    head_turns_per_minute: float = 1.5
    head_turn_px: tuple[float, float] = (8.0, 40.0)
    head_turn_deg: tuple[float, float] = (1.0, 6.0)
    head_turn_yaw_deg: tuple[float, float] = (3.0, 20.0)
    head_turn_s: tuple[float, float] = (0.3, 1.0)
    head_hold_s: tuple[float, float] = (0.5, 4.0)
    drift_px: float = 8.0
    drift_deg: float = 1.5
    talk_bursts_per_minute: float = 0.5
    talk_burst_s: tuple[float, float] = (1.0, 4.0)
    syllables_per_s: tuple[float, float] = (3.0, 6.0)
    gain_drift: float = 0.04
    illumination_steps_per_minute: float = 0.25
    illumination_step: tuple[float, float] = (0.05, 0.15)
    flicker: float = 0.003
    sensor_noise: float = 1.5
    jpeg_quality: int = 92

    def __post_init__(self) -> None:
        if not self.fps > 0:
            raise ConfigError(f"fps must be positive, got {self.fps}")
        w, h = self.frame_size
        if w < 64 or h < 64:
            raise ConfigError(f"frame size must be at least 64x64, got {w}x{h}")

    def rate(self, expression_type: str) -> float:
        override = self.micro_per_minute if expression_type == "micro" else self.macro_per_minute
        return self.calibration.of(expression_type).rate_per_minute if override is None else float(override)

    def durations(self, expression_type: str) -> TypeCalibration:
        return self.calibration.of(expression_type)

    def without_nuisances(self) -> "LongRecordingProfile":
        """The same expressions on a still, evenly lit, noiseless face that neither blinks nor talks."""
        return replace(self, blinks_per_minute=0.0, head_turns_per_minute=0.0, drift_px=0.0, drift_deg=0.0,
                       talk_bursts_per_minute=0.0, gain_drift=0.0, illumination_steps_per_minute=0.0,
                       flicker=0.0, sensor_noise=0.0)

    def to_dict(self) -> dict:
        return asdict(self)


#: Recordings like CAS(ME)^2's (30 fps) and SAMM-LV's (200 fps), and CAS(ME)^3 part A's (30 fps).
PROFILES: dict[str, LongRecordingProfile] = {
    "casme_sq": LongRecordingProfile("casme_sq", 30.0, DEFAULT_CALIBRATIONS["casme_sq"]),
    "samm_lv": LongRecordingProfile("samm_lv", 200.0, DEFAULT_CALIBRATIONS["samm_lv"]),
    "casme3_lv": LongRecordingProfile("casme3_lv", 30.0, DEFAULT_CALIBRATIONS["casme3_lv"]),
}


def recording_profile(name: str | LongRecordingProfile = "casme_sq", **overrides) -> LongRecordingProfile:
    """Profile ``name`` (see :data:`PROFILES`) with fields replaced by ``overrides``
    (``fps=60``, ``micro_per_minute=10``, ``calibration=...``; ``None`` values are ignored)."""
    base = name if isinstance(name, LongRecordingProfile) else PROFILES.get(name)
    if base is None:
        raise ConfigError(f"unknown long-recording profile {name!r}; choose one of {', '.join(PROFILES)}")
    known = {f.name for f in fields(LongRecordingProfile)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigError(f"unknown profile settings {unknown}; known: {', '.join(sorted(known))}")
    values = {k: v for k, v in overrides.items() if v is not None}
    if "fps" in values:
        values["fps"] = float(values["fps"])
    return replace(base, **values)


@dataclass(frozen=True)
class PlannedExpression:
    """One expression: frames ``onset <= apex <= offset`` (0-based, inclusive) and what moves."""

    type: str
    onset: int
    apex: int
    offset: int
    emotion: str
    spec: ExpressionSpec
    amplitude: float

    @property
    def emotion_class(self) -> str:
        return to_megc3(self.emotion) or "others"

    @property
    def aus(self) -> str:
        return str(self.spec.action_units_code)

    @property
    def au_intensities(self) -> dict[str, float]:
        return {k: v * self.amplitude for k, v in self.spec.au_intensities.items()}

    def intensity(self) -> np.ndarray:
        """``(offset - onset + 1,)`` weight of the apex deformation: 0 at onset, 1 at apex, 0 at offset."""
        return Timeline(self.offset - self.onset + 1, self.apex - self.onset, 0.0).profile()


@dataclass
class RecordingPlan:
    """Per-frame parameters (float32 arrays of length ``n_frames``) and the events behind them.

    ``head``: (n, 5) shift x, y (px), roll (deg), yaw (deg), scale factor; ``gain``: brightness
    factor; ``blink``: eyelid closure 0-1; ``talk``: (n, 2) weights of the jaw and lip movements.
    """

    n_frames: int
    fps: float
    expressions: list[PlannedExpression]
    head: np.ndarray
    gain: np.ndarray
    blink: np.ndarray
    talk: np.ndarray
    nuisance_events: list[dict] = field(default_factory=list)


def _poisson_count(rng: np.random.Generator, rate_per_minute: float, n_frames: int, fps: float) -> int:
    return int(rng.poisson(max(0.0, rate_per_minute) * n_frames / fps / 60.0))


def _place(rng: np.random.Generator, length: int, lo: int, hi: int, taken: list[tuple[int, int]],
           gap: int) -> int | None:
    """A start in ``[lo, hi - length + 1]`` whose span keeps ``gap`` frames from every taken span."""
    if hi - length + 1 < lo:
        return None
    for _ in range(PLACEMENT_TRIES):
        start = int(rng.integers(lo, hi - length + 2))
        end = start + length - 1
        if all(end + gap < a or start > b + gap for a, b in taken):
            return start
    return None


def _expression_lengths(profile: LongRecordingProfile, t: str, rng: np.random.Generator, n: int) -> np.ndarray:
    fps = profile.fps
    longest_micro = max(MIN_FRAMES, int(np.floor(MICRO_MAX_S * fps + 1e-9)))
    if t == "micro":
        seconds = profile.durations(t).sample_durations(rng, n, high=MICRO_MAX_S)
        return np.clip(np.rint(seconds * fps), MIN_FRAMES, longest_micro).astype(int)
    seconds = profile.durations(t).sample_durations(rng, n, low=(longest_micro + 1) / fps, high=MACRO_MAX_S)
    return np.maximum(np.rint(seconds * fps).astype(int), longest_micro + 1)


def _plan_expressions(profile: LongRecordingProfile, n_frames: int, rng: np.random.Generator) -> list[PlannedExpression]:
    fps = profile.fps
    margin = int(round(EDGE_MARGIN_S * fps))
    gap = int(round(profile.min_gap_s * fps))
    micro_emotions = {e: w for e, w in DEFAULT_EMOTION_WEIGHTS.items() if to_megc3(e) is not None}
    taken: list[tuple[int, int]] = []
    planned = []
    for t in ("macro", "micro"):  # the long ones first: they are the hardest to fit
        count = _poisson_count(rng, profile.rate(t), n_frames, fps)
        lengths = _expression_lengths(profile, t, rng, count)
        weights = micro_emotions if t == "micro" else DEFAULT_EMOTION_WEIGHTS
        names = list(weights)
        p = np.array([weights[e] for e in names], float)
        low, high = profile.micro_intensity if t == "micro" else profile.macro_intensity
        for length in lengths:
            start = _place(rng, int(length), margin, n_frames - 1 - margin, taken, gap)
            emotion = names[int(rng.choice(len(names), p=p / p.sum()))]
            spec = sample_expression(emotion, rng, intensity_jitter=0.2, one_sided_probability=0.1)
            apex_fraction = rng.uniform(*APEX_FRACTION_RANGE)
            amplitude = float(rng.uniform(low, high))
            if start is None:
                continue
            end = start + int(length) - 1
            apex = start + min(max(int(round(apex_fraction * (length - 1))), 1), int(length) - 2)
            taken.append((start, end))
            planned.append(PlannedExpression(t, start, apex, end, emotion, spec, amplitude))
    return sorted(planned, key=lambda e: e.onset)


def _cosine_ramp(x: np.ndarray) -> np.ndarray:
    return 0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0))


def _event_times(rng: np.random.Generator, rate_per_minute: float, n_frames: int, fps: float,
                 refractory_s: float = 0.0) -> np.ndarray:
    """Frames of a Poisson process of ``rate_per_minute`` with a dead time after each event."""
    if rate_per_minute <= 0:
        return np.zeros(0, int)
    mean_gap = 60.0 / rate_per_minute
    times, t = [], float(rng.exponential(mean_gap))
    while t * fps < n_frames:
        times.append(int(t * fps))
        t += refractory_s + float(rng.exponential(max(mean_gap - refractory_s, 1e-3)))
    return np.asarray(times, int)


def _plan_blinks(profile: LongRecordingProfile, n: int, rng: np.random.Generator, events: list) -> np.ndarray:
    closure = np.zeros(n, np.float32)
    for start in _event_times(rng, profile.blinks_per_minute, n, profile.fps, refractory_s=0.5):
        length = max(3, int(round(rng.uniform(*profile.blink_duration_s) * profile.fps)))
        depth = float(rng.uniform(0.7, 1.0))
        t = np.arange(length)
        end = min(n, start + length)
        # closing is quicker than opening, as in real blinks
        shape = np.where(t < length / 3, np.sin(0.5 * np.pi * t / (length / 3)),
                         np.cos(0.5 * np.pi * (t - length / 3) / (2 * length / 3))) ** 2
        closure[start:end] = np.maximum(closure[start:end], depth * shape[:end - start])
        events.append({"kind": "blink", "onset": int(start), "offset": int(end - 1), "depth": round(depth, 3)})
    return closure


def _plan_head(profile: LongRecordingProfile, n: int, rng: np.random.Generator, events: list) -> np.ndarray:
    fps = profile.fps
    smooth = max(2, int(round(2.0 * fps)))  # drift changes direction over seconds
    head = np.zeros((n, 5), np.float64)
    head[:, 0] = smooth_drift(rng, n, profile.drift_px, smooth)
    head[:, 1] = smooth_drift(rng, n, 0.5 * profile.drift_px, smooth)
    head[:, 2] = smooth_drift(rng, n, profile.drift_deg, smooth)
    head[:, 4] = 1.0 + smooth_drift(rng, n, 0.01 * profile.drift_deg, smooth)
    for start in _event_times(rng, profile.head_turns_per_minute, n, fps, refractory_s=2.0):
        move = max(2, int(round(rng.uniform(*profile.head_turn_s) * fps)))
        hold = int(round(rng.uniform(*profile.head_hold_s) * fps))
        side = 1.0 if rng.random() < 0.5 else -1.0
        dx = side * rng.uniform(*profile.head_turn_px)
        target = np.array([dx, rng.uniform(-0.3, 0.3) * abs(dx), side * rng.uniform(*profile.head_turn_deg),
                           side * rng.uniform(*profile.head_turn_yaw_deg), rng.uniform(-0.03, 0.03)])
        t = np.arange(start, min(n, start + 2 * move + hold))
        weight = _cosine_ramp((t - start) / move) * (1.0 - _cosine_ramp((t - start - move - hold) / move))
        head[t] += weight[:, None] * target
        events.append({"kind": "head_turn", "onset": int(start), "offset": int(t[-1]),
                       "shift_px": [round(float(target[0]), 2), round(float(target[1]), 2)],
                       "roll_deg": round(float(target[2]), 2), "yaw_deg": round(float(target[3]), 2)})
    return head.astype(np.float32)


def _plan_gain(profile: LongRecordingProfile, n: int, rng: np.random.Generator, events: list) -> np.ndarray:
    fps = profile.fps
    gain = 1.0 + smooth_drift(rng, n, profile.gain_drift, max(2, int(round(5.0 * fps))))
    level = 0.0
    for start in _event_times(rng, profile.illumination_steps_per_minute, n, fps):
        # a lamp switching or the camera's exposure jumping; steps lean back toward the start level
        sign = -np.sign(level) if level != 0 and rng.random() < 0.75 else (1.0 if rng.random() < 0.5 else -1.0)
        step = float(sign * rng.uniform(*profile.illumination_step))
        ramp = int(rng.integers(1, 4))
        gain[start:] += step * _cosine_ramp((np.arange(start, n) - start + 1) / ramp)
        level += step
        events.append({"kind": "illumination_step", "onset": int(start), "offset": int(min(n - 1, start + ramp - 1)),
                       "relative_change": round(step, 4)})
    if profile.flicker > 0:
        gain *= 1.0 + profile.flicker * rng.standard_normal(n)
    return np.clip(gain, 0.3, 2.0).astype(np.float32)


def _plan_talk(profile: LongRecordingProfile, n: int, rng: np.random.Generator, events: list,
               expressions: list[PlannedExpression]) -> np.ndarray:
    fps = profile.fps
    talk = np.zeros((n, 2), np.float32)
    count = _poisson_count(rng, profile.talk_bursts_per_minute, n, fps)
    pad = int(round(0.5 * fps))  # talking is kept off the coded expressions: it is not one
    taken = [(e.onset, e.offset) for e in expressions]
    for _ in range(count):
        length = max(3, int(round(rng.uniform(*profile.talk_burst_s) * fps)))
        start = _place(rng, length, 0, n - 1, taken, pad)
        rate = rng.uniform(*profile.syllables_per_s)
        if start is None:
            continue
        taken.append((start, start + length - 1))
        t = np.arange(length) / fps
        envelope = _cosine_ramp(t / 0.15) * _cosine_ramp((length / fps - t) / 0.15)
        phase = 2 * np.pi * np.cumsum(rate * np.exp(0.15 * rng.standard_normal(length))) / fps
        syllable = rng.uniform(0.4, 1.0, int(phase[-1] // (2 * np.pi)) + 2)[(phase // (2 * np.pi)).astype(int)]
        talk[start:start + length, 0] = envelope * syllable * (0.5 - 0.5 * np.cos(phase))
        talk[start:start + length, 1] = envelope * (0.5 + 0.5 * np.sin(0.5 * phase + rng.uniform(0, 2 * np.pi)))
        events.append({"kind": "talk", "onset": int(start), "offset": int(start + length - 1),
                       "syllables_per_s": round(float(rate), 2)})
    return talk


def plan_recording(profile: LongRecordingProfile, n_frames: int, rng: np.random.Generator) -> RecordingPlan:
    """Everything that happens in a recording of ``n_frames`` frames, drawn from ``rng``."""
    if n_frames < 1:
        raise ConfigError(f"a recording needs at least one frame, got {n_frames}")
    if profile.rate("micro") > 0 and MIN_FRAMES > MICRO_MAX_S * profile.fps + 1e-9:
        raise ConfigError(f"at {profile.fps:g} fps a micro-expression (at most {MICRO_MAX_S} s) cannot span the "
                          f"{MIN_FRAMES} frames of an onset-apex-offset timeline; use at least "
                          f"{MIN_FRAMES / MICRO_MAX_S:g} fps or micro_per_minute=0")
    events: list[dict] = []
    expressions = _plan_expressions(profile, n_frames, rng)
    blink = _plan_blinks(profile, n_frames, rng, events)
    head = _plan_head(profile, n_frames, rng, events)
    gain = _plan_gain(profile, n_frames, rng, events)
    talk = _plan_talk(profile, n_frames, rng, events, expressions)
    events.sort(key=lambda e: (e["onset"], e["kind"]))
    return RecordingPlan(n_frames, profile.fps, expressions, head, gain, blink, talk, events)
