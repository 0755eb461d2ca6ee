"""The `minga` command: thin wrappers over services, with progress bars for long work."""

from __future__ import annotations

import os

import typer

app = typer.Typer(help="Minga: the operating system of a collective.", no_args_is_help=True)


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "minga.settings")
    import django

    django.setup()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
