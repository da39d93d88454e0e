"""Click arguments and options that several commands share, declared once."""

from __future__ import annotations

from pathlib import Path

import click

from illusion.diagnostics.suite import Settings

RUN_DIR = click.argument("run_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
MIN_COUNT = click.option(
    "--min-count",
    type=int,
    default=Settings.min_count,
    show_default=True,
    help="Monotonicity: occurrences a word needs in every dataset (the paper: 100).",
)
