import numpy as np
import pandas as pd
import pytest

from microexp.datasets.samples import SampleTable
from microexp.errors import ConfigError, ProtocolError
from microexp.evaluation.protocols import (inner_validation_split, leave_one_dataset_out, leave_one_subject_out,
                                           make_folds, stratified_subject_kfold, subject_holdout)


def make_table(n_subjects=10, per_subject=6, datasets=("a", "b"), seed=0) -> SampleTable:
    rng = np.random.default_rng(seed)
    rows = []
    for s in range(n_subjects):
        ds = datasets[s % len(datasets)]
        for c in range(per_subject):
            y = int(rng.integers(0, 3))
            rows.append(dict(dataset=ds, subject=f"{ds}/s{s}", clip=f"c{c}", label="xyz"[y], y=y,
                             onset=None, apex=None, offset=None))
    return SampleTable(pd.DataFrame(rows), ("x", "y", "z"))


@pytest.mark.parametrize("protocol", ["loso", "lodo", "kfold", "holdout"])
def test_no_test_subject_in_training(protocol):
    t = make_table()
    folds = make_folds(t, protocol)
    covered = []
    for f in folds:
        assert not set(t.subjects[f.train]) & set(t.subjects[f.test])
        assert not set(f.train) & set(f.test)
        covered.extend(f.test)
    if protocol != "holdout":  # every sample is tested exactly once
        assert sorted(covered) == list(range(len(t)))


def test_loso_has_one_fold_per_subject():
    t = make_table(n_subjects=7)
    folds = leave_one_subject_out(t)
    assert len(folds) == 7
    assert all(len(set(t.subjects[f.test])) == 1 for f in folds)


def test_loso_restricted_to_test_datasets_partitions_the_full_loso():
    """Per-database LOSO runs: test subjects of one database, training on all other subjects;
    together they are exactly the full LOSO."""
    t = make_table(datasets=("a", "b", "c"), n_subjects=9)
    full = {f.name: (f.train.tolist(), f.test.tolist()) for f in leave_one_subject_out(t)}
    parts = {}
    for ds in ("a", "b", "c"):
        folds = make_folds(t, "loso", test_datasets=[ds])
        assert {str(d) for f in folds for d in t.datasets[f.test]} == {ds}
        assert any(set(t.datasets[f.train]) == {"a", "b", "c"} for f in folds)
        parts.update({f.name: (f.train.tolist(), f.test.tolist()) for f in folds})
    assert parts == full
    with pytest.raises(ProtocolError, match="not in the table"):
        leave_one_subject_out(t, test_datasets=["samm"])


def test_lodo_folds_are_databases():
    t = make_table(datasets=("a", "b", "c"), n_subjects=9)
    folds = leave_one_dataset_out(t)
    assert [f.name for f in folds] == ["a", "b", "c"]
    for f in folds:
        assert set(t.datasets[f.test]) == {f.name}
        assert f.name not in set(t.datasets[f.train])


def test_stratified_kfold_spreads_labels():
    t = make_table(n_subjects=20, per_subject=9, seed=3)
    folds = stratified_subject_kfold(t, k=5, seed=0)
    per_fold = np.stack([np.bincount(t.y[f.test], minlength=3) for f in folds])
    share = per_fold / per_fold.sum(0, keepdims=True)
    assert np.all(np.abs(share - 0.2) < 0.12), per_fold


def test_holdout_fractions_by_subject():
    t = make_table(n_subjects=20)
    tr, te, va = subject_holdout(t, seed=1)
    subj = t.subjects
    assert len(set(subj[te])) == 4 and len(set(subj[va])) == 2 and len(set(subj[tr])) == 14
    assert not (set(subj[tr]) & set(subj[te])) and not (set(subj[tr]) & set(subj[va]))
    with pytest.raises(ConfigError):
        subject_holdout(t, train=0.5, test=0.2, val=0.1)


def test_inner_validation_only_from_training_groups():
    groups = np.array(["s1"] * 3 + ["s2"] * 3 + ["s3"] * 2 + ["s4"] * 2 + ["s5"] * 2)
    fit, val = inner_validation_split(groups, 0.4, seed=0)
    assert set(groups[val]) and not set(groups[fit]) & set(groups[val])
    assert set(groups[val]) <= set(groups)


def test_protocol_that_empties_training_is_refused():
    t = make_table(n_subjects=1)
    with pytest.raises(ProtocolError, match="at least two subjects"):
        leave_one_subject_out(t)
    with pytest.raises(ProtocolError):
        leave_one_dataset_out(make_table(datasets=("a",)))
    with pytest.raises(ConfigError):
        make_folds(t, "nonsense")
