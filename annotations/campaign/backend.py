"""What a labelling backend gives the campaign layer (``Backend``), and the questions its forms ask (``Question``).

Label Studio is one backend (``illusion.annotations.labelstudio.backend``). Another one puts each
annotator's tasks (``Task.payload``) on its own forms, and implements this protocol to hand
their answers back in the shape of a Label Studio JSON export: a list of tasks, each with its
``data`` (holding the task's ``uid``) and ``annotations`` (``result`` items with ``from_name`` and
``value``, ``completed_by``, ``was_cancelled``, ``lead_time``, ``created_at``, ``updated_at``, and
``updated_by`` where the backend records who saved an annotation: see ``rows._forged``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from illusion.annotations.campaign.private import Private
    from illusion.annotations.campaign.tasks import CampaignRun


@dataclass(frozen=True)
class Question:
    """One question of a form, named by its ``name`` (the results' ``from_name``)."""

    name: str
    tag: str  # Choices (one answer, or sentence numbers when dynamic), TextArea or Rating
    choices: dict[str, str] = field(default_factory=dict)  # accepted value -> stored code
    options_field: str | None = None  # task data field holding dynamic choices: sentence numbers
    max_rating: int = 5


class Backend(Protocol):
    """Where a campaign's tasks are answered: its ledger, its forms' questions, and the answers."""

    def ledger(self, run: CampaignRun) -> dict[str, Any] | None:
        """The campaign's ledger in the run folder, or None before its first export. It holds
        ``attention`` (the number of attention checks) and, when each annotator has a server of
        their own, ``annotators``: one entry per pseudonym."""
        ...

    def questions(self, task_type: str) -> dict[str, Question]:
        """The questions of the form for ``task_type`` ("set" or "pair"), by name."""
        ...

    def exports(self, run: CampaignRun, private: Private, ledger: dict[str, Any]) -> list[tuple[str, Any]]:
        """Every answer given so far, as (where it comes from, a Label Studio JSON export); raise
        ``IllusionError`` saying which server cannot be reached and how to fix it."""
        ...

    def assigned(self, ledger: dict[str, Any]) -> dict[str, int]:
        """The number of tasks put on each annotator's server, by pseudonym (empty on a shared server)."""
        ...
