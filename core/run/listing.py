"""A direction's listed sentences while the run finds their driving tokens: the one form of ``topk.jsonl``'s and
``marks.jsonl``'s rows that is filled in place (:func:`illusion.run.tokens.mark_tokens`), typed, and turned into
their models once it is done."""

from __future__ import annotations

from dataclasses import dataclass, field

from illusion.run.schema import Listed, Mark, TopkRow


@dataclass
class Slot:
    """One listed sentence: its id, text and score, and the driving token and its span once found."""

    id: str
    text: str
    score: float = 0.0
    token: str | None = None
    span: tuple[int, int] | None = None

    def listed(self) -> Listed:
        return Listed(id=self.id, text=self.text, score=self.score, token=self.token, span=self.span)

    def mark(self, dataset: str) -> Mark:
        return Mark(dataset=dataset, id=self.id, token=self.token, span=self.span)


@dataclass
class Listing:
    """A direction's top and bottom sentences in one dataset (``sampler`` and ``condition`` empty for a sentence's
    own direction, which lists that sentence alone)."""

    direction: str
    dataset: str
    top: list[Slot]
    bottom: list[Slot] = field(default_factory=list)
    sampler: str = ""
    condition: str = ""

    def row(self) -> TopkRow:
        """The listing as a line of ``topk.jsonl``."""
        return TopkRow(
            direction=self.direction,
            sampler=self.sampler,
            condition=self.condition,
            dataset=self.dataset,
            top=[slot.listed() for slot in self.top],
            bottom=[slot.listed() for slot in self.bottom],
        )
