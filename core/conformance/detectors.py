"""The conformance checks of concept detectors."""

from __future__ import annotations

from typing import Any

import numpy as np

from illusion.conformance.subject import SENTENCES, Failure, Subject, check


@check("output", "concept detector")
def detector_output(subject: Subject) -> None:
    """The detector gives one bool per sentence."""
    _answers(subject, subject.detector()(list(SENTENCES)), len(SENTENCES))


def _answers(subject: Subject, found: Any, count: int) -> Any:
    if not isinstance(found, np.ndarray) or found.dtype != bool or found.shape != (count,):
        raise Failure(f"{subject.label}: the detector must return a bool array of shape ({count},), got {found!r}")
    return found


@check("determinism", "concept detector")
def detector_determinism(subject: Subject) -> None:
    """Two detectors for the same argument agree, and a sentence's answer does not depend on the others."""
    first = subject.detector()(list(SENTENCES))
    if not np.array_equal(first, subject.detector()(list(SENTENCES))):
        raise Failure(f"{subject.label}: two detectors for {subject.argument!r} give different answers")
    alone = np.concatenate([subject.detector()([text]) for text in SENTENCES])
    if not np.array_equal(first, alone):
        raise Failure(f"{subject.label}: the answer for a sentence changes with the other sentences it is given with")


@check("empty_input", "concept detector")
def detector_empty(subject: Subject) -> None:
    """No sentences give an empty answer; an empty sentence gives one answer."""
    detect = subject.detector()
    _answers(subject, detect([]), 0)
    _answers(subject, detect([""]), 1)
