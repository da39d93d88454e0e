"""Click arguments and options that several commands share, declared once."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from illusion.diagnostics.concepts import Thresholds
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


def threshold_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``--alpha``, ``--min-auroc`` and ``--min-matches`` (the test-concept rules), handed to ``command`` as ``thresholds``."""

    @functools.wraps(command)
    def wrapped(*args: Any, alpha: float, min_auroc: float, min_matches: int, **kwargs: Any) -> Any:
        return command(*args, thresholds=Thresholds(alpha, min_auroc, min_matches), **kwargs)

    for flag, kind, default, text in reversed(
        (
            ("--alpha", float, Thresholds.alpha, "Significance level, split over the testable datasets."),
            ("--min-auroc", float, Thresholds.min_auroc, "AUROC a dataset needs for the concept to hold."),
            ("--min-matches", int, Thresholds.min_matches, "Matching and other sentences a dataset needs to be testable."),
        )
    ):
        wrapped = click.option(flag, type=kind, default=default, show_default=True, help=text)(wrapped)
    return wrapped
