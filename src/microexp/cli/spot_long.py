"""``microexp spot-long``: micro- and macro-expression intervals in long recordings, MEGC style,
leave-one-subject-out, learned spotter against the training-free one."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("spot-long")(spot_long_command)


def spot_long_command(
    dataset: Optional[str] = typer.Option(None, help="simulated (a folder from 'microexp simulate-long'), casme_sq, "
                                                     "samm_lv or casme3_lv. Default: the config's, else simulated."),
    root: Optional[Path] = typer.Option(None, help="Data folder. simulated: the simulate-long folder. Real databases: "
                                                   "the frame folders, as CAS(ME)^2 ROOT/rawpic/s15/VIDEO/img1.jpg, "
                                                   "SAMM-LV ROOT/SAMM_longvideos/007_6/007_6_0001.jpg, CAS(ME)^3 "
                                                   "ROOT/part_A/spNO.1/a/color/0.jpg."),
    annotations: Optional[Path] = typer.Option(None, help="Real databases: the folder holding the coding sheets "
                                                          "(CASME_sq/, SAMM-LV/, CASME3/; default: --root)."),
    out: Path = typer.Option(..., help="Results directory (intervals_SPOTTER.csv, metrics.json, plots/, "
                                       "config.yaml); re-using it resumes finished folds."),
    spotter: Optional[str] = typer.Option(None, help="learned | baseline | both (default both)."),
    config: Optional[Path] = typer.Option(None, help="YAML config (a run's own config.yaml reproduces it): dataset, "
                                                     "root, spotter, features, learned, baseline, plots."),
    jobs: Optional[int] = typer.Option(None, help="Recordings / folds processed at once (default: number of cores)."),
    backend: str = typer.Option("local", help="local (worker processes) or ray."),
    address: Optional[str] = typer.Option(None, help="Ray cluster address to join (default: start a local one)."),
    plots: Optional[int] = typer.Option(None, help="Write signal pictures of at most this many recordings."),
    save_spotter: Optional[Path] = typer.Option(None, help="Then fit the learned spotter on every recording and save "
                                                           "it here, for `microexp analyse --spotter`."),
) -> None:
    """Spot micro/macro intervals in long recordings; prints the MEGC table (TP FP FN P R F1)."""
    from ..identity import check_output_dir
    from ..pipeline.long_spotting import LongSpottingConfig, run_spot_long

    check_output_dir(out, "results folder")
    cfg = LongSpottingConfig() if config is None else LongSpottingConfig.load(config)
    changes = {k: v for k, v in (("dataset", dataset), ("spotter", spotter), ("plots", plots)) if v is not None}
    if root is not None:
        changes["root"] = str(root.resolve())
    if annotations is not None:
        changes["annotations"] = str(annotations.resolve())
    cfg = LongSpottingConfig.from_dict({**cfg.to_dict(), **changes}, source="command line")
    run_spot_long(cfg, out, jobs=jobs, backend=backend, address=address, echo=typer.echo)
    if save_spotter is not None:
        from ..pipeline.long_spotting import fit_deployable_spotter

        check_output_dir(save_spotter, "spotter folder")
        typer.echo(f"spotter: {fit_deployable_spotter(cfg, out / 'features', save_spotter, echo=typer.echo)}")
