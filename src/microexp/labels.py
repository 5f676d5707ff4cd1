"""Label taxonomies of the databases, and their mapping to the MEGC2019 three classes, in one place."""
from __future__ import annotations

from .errors import DataError

#: CASME II's standard five classes (246 of the 255 coded clips).
CASME2_5CLASS: tuple[str, ...] = ("happiness", "surprise", "disgust", "repression", "others")
#: SAMM's "Estimated Emotion" column.
SAMM_EMOTIONS: tuple[str, ...] = (
    "anger", "contempt", "disgust", "fear", "happiness", "sadness", "surprise", "others",
)
#: SAMM's objective classes (AU-based, Davison et al. 2018): "1" … "7".
SAMM_OBJECTIVE: tuple[str, ...] = ("1", "2", "3", "4", "5", "6", "7")
#: SMIC's three classes.
SMIC_3CLASS: tuple[str, ...] = ("negative", "positive", "surprise")
#: CAS(ME)^3 part A emotion classes.
CASME3_7CLASS: tuple[str, ...] = ("anger", "disgust", "fear", "happiness", "sadness", "surprise", "others")
#: MEGC2019 composite classes; the order is the integer code in the circulated CSV (0, 1, 2).
MEGC3: tuple[str, ...] = ("negative", "positive", "surprise")

_MEGC3_MAP = {
    "negative": "negative", "disgust": "negative", "repression": "negative", "contempt": "negative",
    "fear": "negative", "anger": "negative", "sadness": "negative",
    "positive": "positive", "happiness": "positive",
    "surprise": "surprise",
}

_ALIASES = {
    "happy": "happiness", "happiness": "happiness", "surprised": "surprise", "surprise": "surprise",
    "disgusted": "disgust", "disgust": "disgust", "repression": "repression", "repressed": "repression",
    "other": "others", "others": "others", "fear": "fear", "fearful": "fear", "sad": "sadness",
    "sadness": "sadness", "anger": "anger", "angry": "anger", "contempt": "contempt",
    "positive": "positive", "negative": "negative", "ne": "negative", "po": "positive", "sur": "surprise",
    "pos": "positive", "neg": "negative", "tense": "others", "helpless": "others", "pain": "others",
}

TAXONOMIES: dict[str, tuple[str, ...]] = {
    "casme2_5": CASME2_5CLASS,
    "samm_emotion": SAMM_EMOTIONS,
    "samm_objective": SAMM_OBJECTIVE,
    "smic_3": SMIC_3CLASS,
    "casme3_7": CASME3_7CLASS,
    "megc3": MEGC3,
}


def normalise_emotion(name: str, path: str | None = None, row: int | None = None) -> str:
    """Canonical lower-case emotion name (``'Happiness '`` → ``'happiness'``); unknown names raise."""
    key = str(name).strip().lower()
    if key in _ALIASES:
        return _ALIASES[key]
    raise DataError(f"unknown emotion label {name!r}", path, row)


def to_megc3(emotion: str) -> str | None:
    """MEGC2019 class of a canonical emotion, or ``None`` when the composite excludes it (others)."""
    return _MEGC3_MAP.get(emotion)


def class_index(label: str, classes: tuple[str, ...], path: str | None = None, row: int | None = None) -> int:
    try:
        return classes.index(label)
    except ValueError:
        raise DataError(f"label {label!r} is not one of {list(classes)}", path, row) from None
