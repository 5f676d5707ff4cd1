"""Preprocessed clips written in the MEGC2019 composite's own layout, so that
:func:`microexp.datasets.megc2019.load_megc2019` reads them back like the circulated benchmark."""
from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from ..datasets import megc2019
from ..io import atomic_write_text
from ..labels import MEGC3, to_megc3

log = logging.getLogger(__name__)

COMPOSITE_DIR = Path("composite")


def composite_paths(sub: str, clip: str) -> tuple[Path, Path]:
    """Flow PNG and apex face JPG of a clip, relative to the output folder."""
    root = COMPOSITE_DIR
    return (root / megc2019.FLOW_DIR / megc2019.flow_file_name(sub, clip),
            root / megc2019.FACE_DIR / f"{sub}_{clip}.jpg")


def write_composite_csv(out_dir: Path, samples: pd.DataFrame) -> int:
    """Write ``composite/combined_3_class2_for_optical_flow.csv`` for the samples that have a flow
    image and a MEGC2019 class (others are left out, as in the benchmark); returns its row count.

    ``label`` is the MEGC2019 code (0 negative, 1 positive, 2 surprise) of the sample's emotion.
    """
    known = set(getattr(megc2019, "KNOWN_DATASETS", ()) or samples["dataset"])
    rows, skipped = [], {}
    for _, r in samples.iterrows():
        cls = to_megc3(r["emotion"]) if r["emotion"] else None
        if not r["flow_png"] or cls is None or r["dataset"] not in known:
            why = "no flow" if not r["flow_png"] else ("no MEGC2019 class" if cls is None else "database not in composite")
            skipped[why] = skipped.get(why, 0) + 1
            continue
        sub = str(r["subject"]).split("/", 1)[-1]
        rows.append({"dataset": r["dataset"], "sub": sub, "filename_o": r["clip"], "label": MEGC3.index(cls),
                     "apex": r["apex"], "imagename": Path(r["face_jpg"]).name, "sub_filename": ""})
    if skipped:
        log.info("composite CSV leaves out %s", skipped)
    df = pd.DataFrame(rows, columns=list(megc2019.CSV_COLUMNS))
    atomic_write_text(out_dir / COMPOSITE_DIR / megc2019.CSV_NAME, df.to_csv(index=False, lineterminator="\n"))
    return len(df)
