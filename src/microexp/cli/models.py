"""``microexp models``: what can recognise and spot, by name: every registered recogniser (the input
it eats, whether ``microexp analyse`` can use it once trained, its paper), the ``best`` alias, and
the recogniser and spotter shipped with microexp with what they were trained on."""
from __future__ import annotations

import json

import typer


def register(app: typer.Typer) -> None:
    app.command("models")(models_command)


def catalogue() -> dict:
    """The registry and the built-in models as plain data."""
    from ..pipeline.analyse_recording import BUILTIN_SPOTTER, load_spotter
    from ..pipeline.train import ANALYSABLE_INPUT_KINDS
    from ..recognisers import BEST_MODEL, get_spec, input_kind_of, list_models
    from ..recognisers.model_folder import load_trained

    rows = []
    for name in sorted(list_models()):
        spec = get_spec(name)
        kind = input_kind_of(name)
        rows.append({"name": name, "task": spec.task, "input": kind, "family": spec.family,
                     "analysable": kind in ANALYSABLE_INPUT_KINDS and spec.task == "emotion",
                     "best": name == BEST_MODEL, "paper": spec.paper})
    builtin = load_trained("builtin")
    card = builtin.card
    held = card.get("held_out") or {}
    _, spotter = load_spotter("builtin")
    return {
        "recognisers": rows, "best": BEST_MODEL,
        "builtin_recogniser": {"folder": str(builtin.directory), "model": card["model"],
                               "classes": card["classes"],
                               "trained_on": "simulated faces only: {} clips of {} synthetic people".format(
                                   card["training_data"].get("samples", "?"), card["training_data"].get("subjects", "?")),
                               "held_out": {k: v for k, v in held.items() if k in ("dataset", "samples", "full")}},
        "builtin_spotter": {"folder": str(BUILTIN_SPOTTER), **spotter},
    }


def models_command(as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table.")) -> None:
    """List the recognisers by name (for `microexp evaluate` / `train --model`), the `best` alias, and
    the recogniser and spotter `microexp analyse` uses when given none."""
    data = catalogue()
    if as_json:
        typer.echo(json.dumps(data))
        return
    rows = data["recognisers"]
    width = max(len(r["name"]) for r in rows) + (len(" (best)"))
    kinds = max(len(r["input"]) for r in rows)
    typer.echo(f"{'recogniser':<{width}}  {'predicts':<13}  {'input':<{kinds}}  {'family':<7}  {'analyse':<7}  paper")
    for r in rows:
        name = r["name"] + (" (best)" if r["best"] else "")
        task = r["task"].replace("_", " ")
        typer.echo(f"{name:<{width}}  {task:<13}  {r['input']:<{kinds}}  {r['family']:<7}  "
                   f"{'yes' if r['analysable'] else '-':<7}  {r['paper']}")
    typer.echo("")
    typer.echo(f"best = {data['best']}: the recogniser chosen in advance on the MEGC2019 composite (docs/models.md).")
    typer.echo("analyse = yes: `microexp train --model NAME` makes a model folder `microexp analyse` can use; "
               "action-unit detectors are evaluated with `microexp evaluate --task au`.")
    rec, spot = data["builtin_recogniser"], data["builtin_spotter"]
    full = rec["held_out"].get("full") or {}
    typer.echo("")
    typer.echo(f"built-in recogniser ({rec['model']}, {rec['folder']}): {rec['trained_on']}; on "
               f"{rec['held_out'].get('samples')} real {str(rec['held_out'].get('dataset', '')).upper()} samples it "
               f"never saw: UF1 {full.get('uf1', float('nan')):.3f}, UAR {full.get('uar', float('nan')):.3f}")
    typer.echo(f"built-in spotter ({spot['folder']}): {spot['name']}; trained on {spot['trained_on']}")
