"""Emotions as combinations of action units, with CASME II's emotion names.

The combinations follow the action-unit criteria used to label CASME II (Yan et al. 2014,
PLoS ONE 9(1): e86041), completed with EMFACS prototypes (Friesen & Ekman 1983). Each emotion
has a few variants, so that one class is not one fixed motion; a clip also gets left/right
asymmetry and, sometimes, a one-sided unit coded ``L``/``R`` as in CASME II's sheet.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ConfigError
from ..labels import to_megc3
from .action_units import parse_au_key

#: Emotion → variants; a variant is {AU: relative intensity}. Names are CASME II's.
EMOTION_RECIPES: dict[str, tuple[dict[str, float], ...]] = {
    "happiness": ({"AU6": 0.8, "AU12": 1.0}, {"AU12": 1.0}, {"AU6": 0.6, "AU12": 1.0, "AU25": 0.5}),
    "surprise": ({"AU1": 1.0, "AU2": 1.0, "AU5": 0.7, "AU26": 0.8}, {"AU1": 1.0, "AU2": 1.0},
                 {"AU1": 0.9, "AU2": 1.0, "AU25": 0.7}),
    "disgust": ({"AU9": 1.0, "AU10": 0.7}, {"AU4": 0.8, "AU9": 1.0}, {"AU10": 1.0, "AU4": 0.6},
                {"AU4": 0.8, "AU7": 0.8, "AU9": 0.6}),
    "repression": ({"AU14": 1.0}, {"AU15": 1.0}, {"AU17": 1.0}, {"AU14": 0.8, "AU17": 0.8},
                   {"AU15": 0.9, "AU17": 0.8}, {"AU24": 1.0, "AU17": 0.6}),
    "fear": ({"AU1": 0.8, "AU2": 0.6, "AU4": 0.8, "AU5": 0.8, "AU20": 1.0},
             {"AU1": 0.8, "AU4": 0.9, "AU20": 1.0, "AU25": 0.6}),
    "sadness": ({"AU1": 0.9, "AU4": 0.8, "AU15": 1.0}, {"AU1": 0.8, "AU15": 0.9, "AU17": 0.7}),
    "others": ({"AU4": 1.0}, {"AU7": 1.0}, {"AU23": 1.0}, {"AU4": 0.8, "AU7": 0.6}, {"AU38": 1.0},
               {"AU1": 0.6}),
}

#: Default mix of emotions in a simulated dataset (the MEGC three classes get similar shares;
#: CASME II's own mix is far more skewed: 99 others, 63 disgust, 32 happiness …).
DEFAULT_EMOTION_WEIGHTS: dict[str, float] = {
    "happiness": 0.22, "surprise": 0.22, "disgust": 0.14, "repression": 0.14, "fear": 0.05, "sadness": 0.05,
    "others": 0.18,
}


@dataclass(frozen=True)
class ExpressionSpec:
    """What a clip shows at its apex: AU intensities (keys may carry ``L``/``R``) and asymmetry."""

    emotion: str
    au_intensities: dict[str, float]
    side_scale: tuple[float, float]

    @property
    def megc3(self) -> str | None:
        return to_megc3(self.emotion)

    @property
    def action_units_code(self) -> str | int:
        """CASME II's ``Action Units`` cell: ``12`` (an int when one bilateral unit), else ``'6+L12'``."""
        parts = []
        for key in sorted(self.au_intensities, key=lambda k: int(parse_au_key(k)[0][2:])):
            name, side = parse_au_key(key)
            parts.append(f"{side or ''}{name[2:]}")
        if len(parts) == 1 and parts[0].isdigit():
            return int(parts[0])
        return "+".join(parts)


def check_emotion(emotion: str) -> str:
    if emotion not in EMOTION_RECIPES:
        raise ConfigError(f"unknown emotion {emotion!r}; simulated emotions: {', '.join(EMOTION_RECIPES)}")
    return emotion


def sample_expression(emotion: str, rng: np.random.Generator, *, intensity_jitter: float = 0.2,
                      one_sided_probability: float = 0.1, max_asymmetry: float = 0.3,
                      distractor_probability: float = 0.0) -> ExpressionSpec:
    """A random variant of ``emotion`` with jittered intensities and a random asymmetry.

    ``distractor_probability``: chance of adding a weak unit from another emotion (harder data).
    """
    recipes = EMOTION_RECIPES[check_emotion(emotion)]
    recipe = recipes[int(rng.integers(len(recipes)))]
    aus = {au: float(v * np.exp(rng.normal(0.0, intensity_jitter))) for au, v in recipe.items()}
    if rng.random() < distractor_probability:
        pool = sorted({au for variants in EMOTION_RECIPES.values() for r in variants for au in r} - set(aus))
        aus[pool[int(rng.integers(len(pool)))]] = float(rng.uniform(0.2, 0.4))
    weaker = 1.0 - float(rng.uniform(0.0, max_asymmetry))
    side_scale = (1.0, weaker) if rng.random() < 0.5 else (weaker, 1.0)
    if rng.random() < one_sided_probability:
        au = sorted(aus)[int(rng.integers(len(aus)))]
        aus[("L" if rng.random() < 0.5 else "R") + au[2:]] = aus.pop(au)
    return ExpressionSpec(emotion, aus, side_scale)


def allocate_emotions(n: int, weights: dict[str, float], rng: np.random.Generator) -> list[str]:
    """``n`` emotions in shuffled order whose counts follow ``weights`` (largest remainder rounding)."""
    names = [check_emotion(e) for e in weights]
    w = np.array([max(0.0, float(weights[e])) for e in names])
    if w.sum() <= 0:
        raise ConfigError("emotion weights must have a positive sum")
    quota = w / w.sum() * n
    counts = np.floor(quota).astype(int)
    order = np.argsort(-(quota - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    out = [e for e, c in zip(names, counts) for _ in range(c)]
    rng.shuffle(out)
    return out
