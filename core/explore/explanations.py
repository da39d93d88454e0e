"""The explanations ``illusion explain`` writes (``explanations.jsonl``), as a direction page shows them.

One JSON object per line (the format is documented in docs/analysis.md): ``direction``, ``explainer``,
``source`` (the dataset explained), ``explanation`` (text), ``detector`` (spec), ``scores`` (by target
dataset: ``auroc``, ``auroc_low``, ``auroc_high``, ``verdict``, ...) and ``transfer_gap`` with
``transfer_gap_low`` and ``transfer_gap_high``. :func:`shown` is the one place a page reads this format.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from illusion.errors import IllusionError
from illusion.run.folder import EXPLANATIONS

SHOWN = ("explainer", "source", "explanation", "detector", "transfer_gap", "transfer_gap_low", "transfer_gap_high")
SCORE = ("auroc", "auroc_low", "auroc_high", "verdict")

Explanations = dict[str, list[dict[str, Any]]]  # direction id -> its explanations, as a page shows them


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """One explanation as a page shows it: its text and detector, and its score on each dataset."""
    return {key: row.get(key) for key in SHOWN} | {
        "scores": [
            {"target": target} | {key: score.get(key) for key in SCORE} for target, score in (row.get("scores") or {}).items()
        ]
    }


def read_explanations(run_dir: str | Path) -> Explanations:
    """The run's explanations by direction id; none when the run has no ``explanations.jsonl``."""
    file = Path(run_dir) / EXPLANATIONS
    found: Explanations = defaultdict(list)
    if not file.is_file():
        return found
    with file.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                found[str(row["direction"])].append(shown(row))
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                raise IllusionError(f"{file}, line {number}: not an explanation ({exc}); rerun `illusion explain`") from None
    return found
