"""The ``microexp`` command. Every module beside this one registers its own sub-command(s).

Command modules import heavy libraries inside their functions, so ``microexp --help`` stays fast.
"""
from __future__ import annotations

import importlib
import pkgutil
import sys

import typer

from ..errors import MicroexpError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode="markdown",
                  help="microexp: micro-expression spotting and recognition, end to end and leak-free.")


def _print_version(value: bool) -> None:
    if value:
        from .. import __version__

        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                       help="Print the version and exit.")) -> None:
    """Micro-expression spotting and recognition, end to end and leak-free."""


def _register_commands() -> None:
    from .. import cli

    for mod in sorted(pkgutil.iter_modules(cli.__path__), key=lambda m: m.name):
        if mod.name in ("main",) or mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"microexp.cli.{mod.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_commands()


def main() -> None:
    try:
        app()
    except MicroexpError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
