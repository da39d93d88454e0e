"""Dataset ``negation-pairs``: minimal pairs of affirmative and negated sentences, from a CSV in this package."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from importlib import resources

from illusion import DatasetPlugin, Param, Record, hookimpl


def negation_pairs(polarity: str) -> Iterator[Record]:
    with resources.files(__package__).joinpath("negation_pairs.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if polarity in ("both", row["polarity"]):
                yield Record(row["id"], row["text"], {"pair": int(row["pair"]), "polarity": row["polarity"]})


@hookimpl
def illusion_datasets():
    yield DatasetPlugin(
        name="negation-pairs",
        description="Minimal pairs of affirmative and negated sentences (40 pairs).",
        factory=negation_pairs,
        params=[Param("polarity", str, "both", "which half of each pair", choices=("both", "affirmative", "negated"))],
    )
