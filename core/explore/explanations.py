"""The explanations ``illusion explain`` writes (``explanations.jsonl``), as a direction page shows them.

The rows are read through :meth:`illusion.run.folder.RunFolder.explanations` (the model
:class:`illusion.run.schema.ExplanationRow`, documented in docs/run-folder.md); :func:`shown` is the one
place a page's explanations are made from them, whether read from the file or computed on demand.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from illusion.run.folder import RunFolder
from illusion.run.schema import ExplanationRow

SHOWN = ("explainer", "source", "explanation", "detector", "transfer_gap", "transfer_gap_low", "transfer_gap_high")
SCORE = ("auroc", "auroc_low", "auroc_high", "verdict")

Explanations = dict[str, list[dict[str, Any]]]  # direction id -> its explanations, as a page shows them


def shown(row: ExplanationRow) -> dict[str, Any]:
    """One explanation as a page shows it: its text and detector, and its score on each target dataset."""
    return {key: getattr(row, key) for key in SHOWN} | {
        "scores": [{"target": target} | {key: getattr(score, key) for key in SCORE} for target, score in row.scores.items()]
    }


def read_explanations(run_dir: str | Path) -> Explanations:
    """The run's explanations by direction id; none when the run has no ``explanations.jsonl``."""
    found: Explanations = defaultdict(list)
    for row in RunFolder(run_dir).explanations():
        found[row.direction].append(shown(row))
    return found
