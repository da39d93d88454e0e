"""What a row of ``annotations.jsonl`` may hold beyond its typed model: the answers the forms allow.

``illusion agree`` checks every row with :func:`validate_row`, and a merging ``illusion import`` the
rows it carries on from the earlier file, so a row edited by hand is refused the same way by both.
"""

from __future__ import annotations

from illusion.errors import IllusionError
from illusion.run.schema import Annotation

PATTERN = ("yes", "no")
TAXONOMY = ("single", "several", "none", "artifact")
CONFIDENCE = (1, 2, 3, 4, 5)
SAME_CONCEPT = ("different", "related", "same")  # ordered: the ordinal level uses this order

_REQUIRED = ("task_uid", "task_type", "set_id", "condition", "annotator")
_CHOICES = {"task_type": ("set", "pair"), "pattern": PATTERN, "taxonomy": TAXONOMY, "same_concept": SAME_CONCEPT}


def validate_row(row: Annotation, where: str, size: int | None = None, fix: str = "re-run `illusion import`") -> None:
    """Raise a one-line error naming the row (``where``) and field, ending with ``fix``, when ``row``
    (typed by the schema) holds what no form allows; ``size`` is the number of sentences of its set, if known."""
    for name in _REQUIRED:
        if not getattr(row, name):
            raise IllusionError(f"{where}: field {name!r} must be a non-empty string, got ''; {fix}")
    for name, allowed in _CHOICES.items():
        if (value := getattr(row, name)) is not None and value not in allowed:
            raise IllusionError(f"{where}: field {name!r} is {value!r}, expected one of {', '.join(allowed)}; {fix}")
    if row.task_type == "pair" and len(row.datasets) != 2:
        raise IllusionError(f"{where}: a pair task needs exactly 2 'datasets', got {row.datasets!r}; {fix}")
    if row.task_type == "set" and not (row.dataset or len(row.datasets) == 1):
        raise IllusionError(f"{where}: a set task needs its 'dataset'; {fix}")
    if row.confidence is not None and row.confidence not in CONFIDENCE:
        raise IllusionError(f"{where}: field 'confidence' is {row.confidence!r}, expected an integer 1 to 5 or null; {fix}")
    if row.fits is not None and not all(1 <= n <= (size or n) for n in row.fits):
        limit = f" 1 to {size}" if size else " from 1"
        raise IllusionError(f"{where}: field 'fits' must list sentence numbers{limit}, got {row.fits!r}; {fix}")
    if row.lead_time is not None and row.lead_time < 0:
        raise IllusionError(f"{where}: field 'lead_time' must be seconds (a number >= 0) or null, got {row.lead_time!r}; {fix}")
