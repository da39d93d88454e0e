"""Driving tokens: for each listed sentence, the token with the largest share of its score on a direction.

A model layer with ``attribute`` scores the tokens of the listed sentences only, after ranking, one
call per batch with each sentence's own directions (see ``illusion.model_layer.DRIVING_METHODS``).
Without it, the token whose own vector projects furthest is marked; a cold run then keeps the token
vectors of the extraction pass (within a memory budget), so a listed sentence is not encoded twice.
The tokens found are cached beside the vectors, keyed by the model's identity, the method and the
direction set, so a warm run runs no model at all. Only sentences found in neither are encoded again.
"""

from __future__ import annotations

import contextlib
import hashlib
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from illusion.common.files import read_json, write_json
from illusion.common.progress import Reporter
from illusion.directions import Directions
from illusion.errors import IllusionError
from illusion.model_layer import OWN_PROJECTION, TokenShares, TokenVectors, attributes, driving_method
from illusion.run.listing import Listing, Slot
from illusion.run.store import TOKENS, ActivationStore, entry_key

TOKEN_BATCH = 256
KEEP_BYTES = 256 * 2**20  # token vectors kept from the extraction pass, at most


class TokenKeeper:
    """A model's ``encode`` that also keeps each sentence's token vectors from the same pass, up to ``budget`` bytes.

    Model layers without ``encode_with_tokens``, or with ``attribute`` (which needs no token vectors),
    are encoded as usual and nothing is kept.
    """

    def __init__(self, model: Any, budget: int | None = None):
        self.model, self.budget, self.used = model, KEEP_BYTES if budget is None else budget, 0
        self.kept: dict[str, TokenVectors] = {}

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        both = getattr(self.model, "encode_with_tokens", None)
        if both is None or attributes(self.model) or self.used >= self.budget:
            return self.model.encode(texts, progress=progress)
        vectors, tokens = both(texts, progress=progress)
        for text, item in zip(texts, tokens):
            if self.used < self.budget:
                self.kept[text] = item
                self.used += item.vectors.nbytes
        return vectors


class TokenCache:
    """Driving tokens found before, one JSON file per (model identity and release, method, direction set) in the
    activation store's folder; none is read or kept for a run without a cache (``store`` None)."""

    def __init__(
        self,
        store: ActivationStore | None,
        identity: dict[str, Any],
        made_by: tuple[str, str],
        directions: np.ndarray,
        method: str = OWN_PROJECTION,
    ):
        digest = hashlib.sha256(method.encode() + np.ascontiguousarray(directions, dtype=np.float32).tobytes()).hexdigest()
        name = f"{entry_key(identity, digest, TOKENS, made_by)}.json"
        self.path = Path(store.root) / TOKENS / name if store is not None else None

    @staticmethod
    def key(text: str, direction: str, sign: float) -> str:
        return f"{hashlib.sha256(text.encode()).hexdigest()[:20]}:{direction}:{'+' if sign > 0 else '-'}"

    def load(self) -> dict[str, list]:
        """Every cached entry; an unreadable file is ignored, with a warning, and rewritten."""
        if self.path is None or not self.path.exists():
            return {}
        try:
            entries = read_json(self.path, "driving-token cache")
            if isinstance(entries, dict):
                return entries
        except IllusionError as exc:
            warnings.warn(f"{exc}; finding its driving tokens again", stacklevel=2)
        return {}

    def save(self, entries: dict[str, list]) -> None:
        """Keep ``entries`` (not in a read-only or full cache: they are found again next time)."""
        if self.path is not None:
            with contextlib.suppress(OSError):
                write_json(self.path, entries)


def _valid(value: Any, text: str) -> bool:
    """A cached ``[token, span]`` that fits ``text`` (``[None, None]``: the sentence has no tokens)."""
    if value == [None, None]:
        return True
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)):
        return False
    span = value[1]
    if span is None:
        return True
    return (
        isinstance(span, list)
        and len(span) == 2
        and all(isinstance(x, int) for x in span)
        and 0 <= span[0] < span[1] <= len(text)
    )


def _strongest(shares: TokenShares, column: int, sign: float) -> list:
    found = shares.strongest(column, sign)
    if found is None:
        return [None, None]
    token, span = found
    return [token, [int(span[0]), int(span[1])] if span else None]


def mark_tokens(
    topk: Sequence[Listing],
    directions: Directions,
    model: Any,
    cache: TokenCache,
    kept: dict[str, TokenVectors] | None = None,
    reporter: Reporter | None = None,
) -> None:
    """Fill each listed sentence's driving token (most negative share for bottom lists), scoring only what is new."""
    reporter = reporter or Reporter(quiet=True)
    ids = [str(identifier) for identifier in directions.ids]  # cache keys: a direction's id, not its row
    row_of = {identifier: row for row, identifier in enumerate(directions.ids)}
    wanted: dict[str, list[tuple[Slot, int, float]]] = {}
    for listing in topk:
        for slots, sign in ((listing.top, 1.0), (listing.bottom, -1.0)):
            for slot in slots:
                wanted.setdefault(slot.text, []).append((slot, row_of[listing.direction], sign))
    known = cache.load()
    found: dict[str, list] = {}
    todo = []
    for text, uses in wanted.items():
        values: list[Any] = [known.get(TokenCache.key(text, ids[row], sign)) for _, row, sign in uses]
        if all(_valid(value, text) for value in values):
            found.update({TokenCache.key(text, ids[row], sign): value for (_, row, sign), value in zip(uses, values)})
        else:
            todo.append(text)
    rows = {text: sorted({row for _, row, _ in wanted[text]}) for text in todo}
    todo.sort(key=lambda text: len(rows[text]))  # batches of texts that need as many directions
    if todo:  # the model is asked for (and, when lazy, created) only here
        with reporter.step(f"driving tokens ({driving_method(model)})", len(todo)) as advance:
            for text, shares in token_shares(todo, rows, directions.vectors, model, kept or {}):
                column = {row: number for number, row in enumerate(rows[text])}
                for _, row, sign in wanted[text]:
                    found[TokenCache.key(text, ids[row], sign)] = _strongest(shares, column[row], sign)
                advance(1)
    for text, uses in wanted.items():
        for slot, row, sign in uses:
            slot.token, span = found[TokenCache.key(text, ids[row], sign)]
            slot.span = (span[0], span[1]) if span else None
    if todo:
        cache.save({**known, **found})


def token_shares(todo: list[str], rows: dict[str, list[int]], vectors: np.ndarray, model: Any, kept: dict[str, TokenVectors]):
    """``(text, TokenShares)`` on the directions ``rows[text]`` for every text in ``todo``, in batches.

    From the model's ``attribute`` when it has one, else each token's own projection (kept token
    vectors first, then the others encoded).
    """
    if attributes(model):
        for start in range(0, len(todo), TOKEN_BATCH):
            batch = todo[start : start + TOKEN_BATCH]
            answers = model.attribute(batch, [vectors[rows[text]] for text in batch])
            yield from zip(batch, _checked(answers, batch, rows))
        return

    def own(text: str, tokens: TokenVectors) -> tuple[str, TokenShares]:
        return text, TokenShares(tokens.tokens, tokens.spans, tokens.vectors @ vectors[rows[text]].T)

    yield from (own(text, kept[text]) for text in todo if text in kept)
    fresh = [text for text in todo if text not in kept]
    for start in range(0, len(fresh), TOKEN_BATCH):
        batch = fresh[start : start + TOKEN_BATCH]
        yield from (own(text, tokens) for text, tokens in zip(batch, model.token_vectors(batch)))


def _checked(answers: Any, batch: list[str], rows: dict[str, list[int]]) -> list[TokenShares]:
    """``attribute``'s answer for ``batch``, or a clear error saying what is wrong with it."""
    if not isinstance(answers, list) or len(answers) != len(batch):
        raise IllusionError(f"attribute() must return a list of one TokenShares per text ({len(batch)})")
    for text, shares in zip(batch, answers):
        shape = (len(shares.tokens), len(rows[text])) if isinstance(shares, TokenShares) else None
        if shape is None or np.shape(shares.shares) != shape or len(shares.spans) != shape[0]:
            raise IllusionError(f"attribute() must give a TokenShares with shares of shape {shape} for {text!r}")
    return answers
