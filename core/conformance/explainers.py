"""The conformance checks of explainers."""

from __future__ import annotations

from typing import Any

from illusion.conformance.subject import Failure, Skip, Subject, check, explainer_input
from illusion.registrations import ExplainerInput, Explanation


def _explain(subject: Subject, sample: ExplainerInput) -> Explanation | None:
    return subject.explainer()(sample)


@check("output", "explainer")
def explainer_output(subject: Subject) -> None:
    """A direction whose top sentences share words gets an Explanation (or None) with a one-line text."""
    found = _explain(subject, explainer_input())
    if found is None:
        raise Skip(f"{subject.label} had nothing to say about the check's direction (it may need the run's files)")
    if "\n" in found.text.strip() or len(found.text) > 500:
        raise Failure(f"{subject.label}: an explanation's text must be one short line, got {found.text!r}")


@check("determinism", "explainer")
def explainer_determinism(subject: Subject) -> None:
    """The same sentences give the same explanation, from the same explainer and from a second one made alike."""
    explain = subject.explainer()
    first = explain(explainer_input())
    for again in (explain(explainer_input()), subject.explainer()(explainer_input())):
        if _same(again) != _same(first):
            raise Failure(f"{subject.label}: the same sentences gave {_same(first)!r}, then {_same(again)!r}")


def _same(found: Explanation | None) -> Any:
    return None if found is None else (found.text, found.detector, dict(found.options))


@check("empty_input", "explainer")
def explainer_empty(subject: Subject) -> None:
    """No sentences at all give None or an explanation, never a crash."""
    sample = ExplainerInput("neuron:0", "empty", [], [], [], [], [], [])
    _explain(subject, sample)
