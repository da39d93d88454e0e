"""Click arguments and options that several commands share, declared once."""

from __future__ import annotations

from pathlib import Path

import click

from illusion.diagnostics.suite import Settings

# A run folder: whether it is one is checked by the command (RunFolder.require), which names what is wrong.
RUN_FOLDER = click.Path(file_okay=False, path_type=Path)
RUN_DIR = click.argument("run_dir", type=RUN_FOLDER)
RUN_DIRS = click.argument("run_dirs", nargs=-1, required=True, type=RUN_FOLDER)
QUIET = click.option("--quiet", "-q", is_flag=True, help="No progress bars.")
MIN_COUNT = click.option(
    "--min-count",
    type=int,
    default=Settings.min_count,
    show_default=True,
    help="Monotonicity: occurrences a word needs in every dataset (the paper: 100).",
)
