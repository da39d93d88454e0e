"""The conformance checks of datasets."""

from __future__ import annotations

from collections import Counter

from illusion.conformance.subject import Failure, Skip, Subject, check, crashed
from illusion.errors import PluginError
from illusion.registrations import DatasetPlugin


@check("output", "dataset")
def dataset_output(subject: Subject) -> None:
    """The options give a non-empty list of records with string ids and texts."""
    records = subject.records()
    if not isinstance(records, list) or not records:
        raise Failure(f"{subject.label} gives no records with options {dict(subject.options)}: choose options that give some")
    bad = [record for record in records if not record.text.strip()]
    if bad:
        raise Failure(f"{subject.label}: record {bad[0].id!r} has an empty text")


@check("determinism", "dataset")
def dataset_determinism(subject: Subject) -> None:
    """Reading the dataset twice gives the same records in the same order."""
    first = [(record.id, record.text) for record in subject.records()]
    again = [(record.id, record.text) for record in subject.run(subject.options)]
    if first != again:
        where = next((i for i, (a, b) in enumerate(zip(first, again)) if a != b), min(len(first), len(again)))
        raise Failure(
            f"{subject.label} is not deterministic: two reads differ at record {where} ({len(first)} and {len(again)} records)"
        )


@check("stable_ids", "dataset")
def dataset_ids(subject: Subject) -> None:
    """Ids are unique, and an id names the same sentence whatever the seed and sample size."""
    records = subject.records()
    ids = [record.id for record in records]
    twice = sorted(i for i, n in Counter(ids).items() if n > 1)
    if twice:
        raise Failure(f"{subject.label}: ids are not unique ({', '.join(map(repr, twice[:5]))} appear more than once)")
    text_of = dict(zip(ids, (record.text for record in records)))
    options = {**subject.options, "n": max(1, len(records) // 2), "seed": subject.seed + 1}
    for record in subject.plugin(DatasetPlugin).load(options, seed=subject.seed + 1):
        if record.id in text_of and text_of[record.id] != record.text:
            raise Failure(
                f"{subject.label}: id {record.id!r} names {text_of.get(record.id)!r} in one read and "
                f"{record.text!r} in a sampled read: derive ids from the source, not from positions after filtering"
            )


@check("empty_input", "dataset")
def dataset_empty(subject: Subject) -> None:
    """An empty source (``empty_options``) gives no records or a clear error, never a crash."""
    if subject.empty_options is None:
        raise Skip("set empty_options to options that give an empty source, e.g. an empty file")
    try:
        records = subject.run(subject.empty_options)
    except PluginError as exc:
        if crashed(exc):
            raise Failure(f"{subject.label} crashed on an empty source: {exc}") from None
        return
    if records:
        raise Failure(f"{subject.label} gives {len(records)} records with empty_options {dict(subject.empty_options)}")
