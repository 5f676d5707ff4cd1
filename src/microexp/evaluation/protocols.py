"""Evaluation protocols. Every split is subject-aware: a test subject never appears in training.

A protocol maps a :class:`SampleTable` to a list of :class:`Fold` (train and test row indices).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..datasets.samples import SampleTable
from ..errors import ConfigError, ProtocolError


@dataclass(frozen=True)
class Fold:
    name: str
    train: np.ndarray
    test: np.ndarray


def _check(folds: list[Fold], table: SampleTable) -> list[Fold]:
    subjects = table.subjects
    for f in folds:
        if len(f.train) == 0:
            raise ProtocolError(f"fold {f.name} would leave the training set empty")
        if len(f.test) == 0:
            raise ProtocolError(f"fold {f.name} has no test samples")
        overlap = set(subjects[f.train]) & set(subjects[f.test])
        if overlap:  # guards against future protocol bugs, not reachable by the built-in ones
            raise ProtocolError(f"fold {f.name}: subjects {sorted(overlap)[:3]} are in both training and test")
        if len(np.unique(table.y[f.train])) < 2:
            raise ProtocolError(f"fold {f.name}: training set holds a single class")
    return folds


def leave_one_subject_out(table: SampleTable, test_datasets=None) -> list[Fold]:
    """One fold per subject (68 on the MEGC2019 composite).

    ``test_datasets`` (a list of database names) keeps only the folds whose test subject belongs to
    one of them; each fold still trains on every other subject. The union of the folds run with
    each database in turn is the full LOSO, so a per-database preprocessing (for example a model
    fitted without that database) can be applied fold by fold.
    """
    subjects = table.subjects
    uniq = list(dict.fromkeys(subjects))  # order of first appearance: stable and readable
    if len(uniq) < 2:
        raise ProtocolError("leave-one-subject-out needs at least two subjects")
    if test_datasets is not None:
        wanted = {str(d) for d in ([test_datasets] if isinstance(test_datasets, str) else test_datasets)}
        unknown = sorted(wanted - set(map(str, table.datasets)))
        if unknown:
            raise ProtocolError(f"test_datasets {unknown} are not in the table (it holds "
                                f"{sorted(set(map(str, table.datasets)))})")
        first_dataset = dict(zip(subjects, map(str, table.datasets)))
        uniq = [s for s in uniq if first_dataset[s] in wanted]
    folds = [Fold(s, np.flatnonzero(subjects != s), np.flatnonzero(subjects == s)) for s in uniq]
    return _check(folds, table)


def leave_one_dataset_out(table: SampleTable) -> list[Fold]:
    """One fold per source database (train on the others)."""
    ds = table.datasets
    uniq = list(dict.fromkeys(ds))
    if len(uniq) < 2:
        raise ProtocolError("leave-one-dataset-out needs samples from at least two databases")
    return _check([Fold(d, np.flatnonzero(ds != d), np.flatnonzero(ds == d)) for d in uniq], table)


def stratified_subject_kfold(table: SampleTable, k: int = 5, seed: int = 0) -> list[Fold]:
    """k folds of whole subjects, each label spread as evenly as possible over the folds (paper 001).

    Greedy: subjects (largest first, ties broken by a seeded shuffle) go to the fold whose label
    counts, after adding them, deviate least from an even share. Subjects never straddle folds.
    """
    subjects, y = table.subjects, table.y
    uniq = np.array(list(dict.fromkeys(subjects)))
    if k < 2 or len(uniq) < k:
        raise ProtocolError(f"stratified {k}-fold needs at least {max(k, 2)} subjects, table has {len(uniq)}")
    n_cls = len(table.classes)
    counts = np.stack([np.bincount(y[subjects == s], minlength=n_cls) for s in uniq])
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(uniq))
    order = order[np.argsort(-counts[order].sum(1), kind="stable")]
    target = counts.sum(0) / k
    fold_counts = np.zeros((k, n_cls))
    assign = np.empty(len(uniq), dtype=int)
    for s in order:
        cost = [np.abs(fold_counts[f] + counts[s] - target).sum() - np.abs(fold_counts[f] - target).sum()
                + 1e-6 * fold_counts[f].sum() for f in range(k)]
        f = int(np.argmin(cost))
        assign[s] = f
        fold_counts[f] += counts[s]
    folds = []
    for f in range(k):
        test_subjects = set(uniq[assign == f])
        m = np.array([s in test_subjects for s in subjects])
        folds.append(Fold(f"fold{f + 1}", np.flatnonzero(~m), np.flatnonzero(m)))
    return _check(folds, table)


def subject_holdout(table: SampleTable, train: float = 0.7, test: float = 0.2, val: float = 0.1,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Paper 000's 70/20/10 train/test/validation split by subject: (train, test, val) row indices."""
    if abs(train + test + val - 1.0) > 1e-6:
        raise ConfigError(f"split fractions must sum to 1, got {train}+{test}+{val}")
    subjects = table.subjects
    uniq = np.array(list(dict.fromkeys(subjects)))
    if len(uniq) < 3:
        raise ProtocolError("a train/test/validation split by subject needs at least three subjects")
    uniq = uniq[np.random.default_rng(seed).permutation(len(uniq))]
    n_test = max(1, int(round(test * len(uniq))))
    n_val = max(1, int(round(val * len(uniq))))
    if len(uniq) - n_test - n_val < 1:
        raise ProtocolError("the split would leave the training set empty")
    parts = np.split(uniq, [n_test, n_test + n_val])
    test_s, val_s = set(parts[0]), set(parts[1])
    is_test = np.array([s in test_s for s in subjects])
    is_val = np.array([s in val_s for s in subjects])
    return np.flatnonzero(~is_test & ~is_val), np.flatnonzero(is_test), np.flatnonzero(is_val)


def holdout(table: SampleTable, seed: int = 0) -> list[Fold]:
    """The 70/20/10 split as one fold; the validation subjects stay out of training (for model selection)."""
    tr, te, _ = subject_holdout(table, seed=seed)
    return _check([Fold("holdout", tr, te)], table)


def inner_validation_split(groups, fraction: float = 0.2, seed: int = 0, y=None) -> tuple[np.ndarray, np.ndarray]:
    """Split TRAINING rows by subject into (fit, validation) for early stopping or model selection.

    Takes only the training fold's subject ids (and labels), so it cannot see the test subject.
    The trainer's own split (:func:`microexp.training.validation.inner_subject_split`) does the work.
    """
    from ..training.validation import inner_subject_split

    groups = np.asarray(groups)
    labels = np.zeros(len(groups), dtype=int) if y is None else np.asarray(y)
    fit, val, _ = inner_subject_split(groups, labels, fraction, seed)
    return fit, val


PROTOCOLS = {
    "loso": leave_one_subject_out,
    "lodo": leave_one_dataset_out,
    "kfold": stratified_subject_kfold,
    "holdout": holdout,
}


def make_folds(table: SampleTable, protocol: str, **kwargs) -> list[Fold]:
    if protocol not in PROTOCOLS:
        raise ConfigError(f"unknown protocol {protocol!r}; known: {', '.join(PROTOCOLS)}")
    return PROTOCOLS[protocol](table, **kwargs)
