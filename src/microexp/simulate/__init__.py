"""Synthetic micro-expression clips in CASME II's layout, with exact ground truth.

Real micro-expression databases cannot be shared, so tests, benchmarks and the demo run on faces
this package makes: photographic portraits turned into distinct people, moved by FACS action units
(thin-plate-spline warps of landmark displacements) along onset → apex → offset timelines, with
sensor noise, flicker, head motion and blinks.

>>> summary = simulate_dataset("runs/sim", subjects=2, clips_per_subject=2, seed=0)  # doctest: +SKIP
"""
from .action_units import AU_SPECS, au_displacements, parse_au_key
from .clip import ClipGroundTruth, render_clip
from .dataset import SimulationSummary, read_ground_truth, simulate_dataset
from .emotions import DEFAULT_EMOTION_WEIGHTS, EMOTION_RECIPES, ExpressionSpec, sample_expression
from .identities import Identity, make_identity
from .nuisances import DIFFICULTY_PRESETS, NuisanceConfig, nuisance_config
from .timeline import Timeline, sample_timeline
from .warping import warp_face_by_aus

__all__ = [
    "AU_SPECS", "au_displacements", "parse_au_key", "ClipGroundTruth", "render_clip", "SimulationSummary",
    "read_ground_truth", "simulate_dataset", "DEFAULT_EMOTION_WEIGHTS", "EMOTION_RECIPES", "ExpressionSpec",
    "sample_expression", "Identity", "make_identity", "DIFFICULTY_PRESETS", "NuisanceConfig", "nuisance_config",
    "Timeline", "sample_timeline", "warp_face_by_aus",
]
