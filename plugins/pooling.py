"""Token vectors pooled into a sentence vector, and each token's share of the pooled vector's projection.

The shares give the transformer model layer's driving tokens.

``mean`` and ``max`` pooling split the score exactly (``exact share``); ``cls`` and ``last`` pooling
mix every token into one position, so their tokens are scored by gradient x input at the hidden
states the pooled layer's block reads (the layer before; layer 0 for layer 0), with one backward
pass through that block, batched over the directions of sentences that need as many. (Measured on
the default run by deleting the marked word: this moves the score about 1.7 times as far as the
token whose own vector projects furthest, and about 4 times as far as gradient x input at the
embeddings, which is barely above a random word.)

Both start from one layer's hidden states: ``encode`` keeps them (``Kept``, within a memory budget),
so a sentence it encoded is attributed without running the model's earlier blocks again: under
``mean`` and ``max`` pooling without running the model at all, under ``cls`` and ``last`` by running
only the pooled layer's block (in a BERT-shaped block only its pooled position: ``pooled_row``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from illusion import TokenShares
from illusion.plugins.pooled_row import row_shares

OFFSETS: dict[str, Any] = {"return_offsets_mapping": True, "return_special_tokens_mask": True}


def method(pooling: str) -> str:
    """The attribution a pooling gets (a key of ``illusion.DRIVING_METHODS``)."""
    return "exact share" if pooling in ("mean", "max") else "gradient x input"


def real_tokens(tokenizer: Any, encoded: Any, row: int) -> tuple[list[int], list[str], list[tuple[int, int]]]:
    """Positions, token strings and character spans of the non-special tokens of ``row`` (tokenised with ``OFFSETS``)."""
    keep = [i for i, special in enumerate(encoded["special_tokens_mask"][row]) if not special]
    ids = [encoded["input_ids"][row][i] for i in keep]
    return keep, tokenizer.convert_ids_to_tokens(ids), [tuple(encoded["offset_mapping"][row][i]) for i in keep]


KEEP_BYTES = 256 * 2**20  # hidden states kept from encode for attribute, at most


def attribution_start(pooling: str, layer: int) -> int:
    """The hidden state attribution starts from: the pooled layer's own under mean and max, else the one its block reads."""
    return layer if pooling in ("mean", "max") else max(layer - 1, 0)


class Kept:
    """Hidden states at one layer that ``encode`` keeps for ``attribute``, per text, up to ``budget`` bytes.

    Each is handed out once (``take``), which frees its share of the budget.
    """

    def __init__(self, budget: int = KEEP_BYTES):
        self.budget, self.used = budget, 0
        self.states: dict[str, Any] = {}

    def add(self, texts: Sequence[str], rows: Sequence[int], hidden: Any, mask: Any) -> None:
        """Keep the real tokens' rows of ``hidden`` (padded on the right) for ``texts[rows[i]]``, while the budget lasts."""
        lengths = mask.sum(1).tolist()
        for position, row in enumerate(rows):
            if self.used >= self.budget:
                return
            self._drop(texts[row])
            self.states[texts[row]] = state = hidden[position, : lengths[position]].clone()
            self.used += state.nbytes

    def take(self, texts: Sequence[str], mask: Any) -> Any:
        """The kept states of ``texts`` padded into one tensor like ``mask`` (on its device), or None unless all are kept."""
        import torch

        lengths = mask.sum(1).tolist()
        if any(text not in self.states or len(self.states[text]) != length for text, length in zip(texts, lengths)):
            return None
        found = [self.states[text] for text in texts]
        batch = torch.zeros((*mask.shape, found[0].shape[1]), dtype=found[0].dtype, device=mask.device)
        for position, state in enumerate(found):
            batch[position, : len(state)] = state
        for text in texts:
            self._drop(text)
        return batch

    def _drop(self, text: str) -> None:
        state = self.states.pop(text, None)
        self.used -= 0 if state is None else state.nbytes


def attribute(layer: Any, texts: Sequence[str], directions: Sequence[np.ndarray]) -> list[TokenShares]:
    """One ``TokenShares`` per text on its own directions (``directions[i]``: shape (m_i, dim)), for a ``TransformerLayer``."""
    out: list[TokenShares] = [None] * len(texts)  # type: ignore[list-item,unused-ignore]  # every slot is filled below
    groups: dict[tuple[int, bool], list[int]] = {}  # batches of texts needing as many directions: no wasted backward,
    for index, wanted in enumerate(directions):  # and of kept texts apart from the others, which need the whole model
        groups.setdefault((len(wanted), texts[index] in layer.kept.states), []).append(index)
    for members in groups.values():
        found = _attribute_group(layer, [texts[i] for i in members], [directions[i] for i in members])
        for index, shares in zip(members, found):
            out[index] = shares
    return out


def _attribute_group(layer: Any, texts: Sequence[str], directions: Sequence[np.ndarray]) -> list[TokenShares]:
    """``attribute`` for texts that need as many directions each."""
    import torch

    out: list[TokenShares] = [None] * len(texts)  # type: ignore[list-item,unused-ignore]  # every slot is filled below
    for rows, encoded, batch in layer._batches(texts, **OFFSETS):
        weights = torch.from_numpy(np.stack([directions[row] for row in rows]).astype(np.float32)).to(layer.device)
        inputs = layer._on_device(batch)
        first = layer.kept.take([texts[row] for row in rows], inputs["attention_mask"])
        if first is None and layer.start < layer.layer and layer._row_path:  # the blocks before the pooled one only
            first = layer._start_states(inputs)
        if first is None:
            first = layer._forward(batch)[0][layer.start].clone()  # a normal tensor, out of inference mode
        shares = _shares(layer, inputs, first, weights).cpu().numpy()
        for position, row in enumerate(rows):
            keep, tokens, spans = real_tokens(layer.tokenizer, encoded, row)
            out[row] = TokenShares(tokens, spans, shares[position, keep])
    return out


def _shares(layer: Any, inputs: dict[str, Any], first: Any, weights: Any) -> Any:
    """Shares of shape (batch, tokens, directions) in float32, from ``first``, the hidden states at ``layer.start``."""
    import torch

    mask = inputs["attention_mask"]
    if layer.pooling in ("mean", "max"):
        return exact_shares(first, mask, layer.pooling, weights)
    with torch.enable_grad():  # the weights stay frozen (see TransformerLayer): only ``first`` needs gradients
        block = None if layer.start == layer.layer else layer._row_block(first, inputs)
        if block is not None:
            return row_shares(block, first, mask, pooled_index(mask, layer.pooling), weights)
        first.requires_grad_()
        leaf, hidden = (first, first) if layer.start == layer.layer else layer._through_block(first, inputs)
        return gradient_x_input(leaf, layer._pool(hidden, mask), weights)


def pool(hidden: Any, mask: Any, how: str) -> Any:
    """Sentence vectors from a batch of token vectors; ``mask`` marks the real tokens, padded on either side.

    ``cls`` takes the first real token, ``last`` the last one, ``mean`` and ``max`` pool the real tokens.
    """
    import torch

    if how in ("cls", "last"):
        return hidden[torch.arange(len(hidden), device=hidden.device), pooled_index(mask, how)]
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    if how == "mean":
        return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1)
    return hidden.masked_fill(weights == 0, torch.finfo(hidden.dtype).min).max(1).values


def pooled_index(mask: Any, how: str) -> Any:
    """The position ``cls`` (the first real token) or ``last`` (the last one) pooling reads in each row of ``mask``."""
    import torch

    if how == "last":
        return (mask * torch.arange(mask.shape[1], device=mask.device)).argmax(1)
    return mask.argmax(1)


def exact_shares(hidden: Any, mask: Any, how: str, weights: Any) -> Any:
    """Each token's additive share of the ``mean`` or ``max`` pooled vector's projection on each row of ``weights``.

    ``mean``: the token's projection over the number of real tokens. ``max``: each dimension's
    value goes to the token that holds the maximum (the first of equal ones), weighted by the direction.
    """
    import torch

    hidden, real = hidden.float(), mask.unsqueeze(-1).bool()
    if how == "mean":
        counts = mask.sum(1).clamp(min=1).float()[:, None, None]
        return torch.einsum("bld,bmd->blm", hidden.masked_fill(~real, 0), weights) / counts
    winner = hidden.masked_fill(~real, float("-inf")).argmax(1, keepdim=True)  # (batch, 1, dim)
    holds = torch.arange(hidden.shape[1], device=hidden.device)[None, :, None] == winner
    return torch.einsum("bld,bmd->blm", hidden.masked_fill(~holds, 0), weights)


def gradient_x_input(first: Any, pooled: Any, weights: Any) -> Any:
    """Gradient x input of each pooled vector's projection on each row of its ``weights``, at the tensor ``first``.

    ``first`` (batch, tokens, dim) must be in the graph that made ``pooled`` (batch, dim). One batched
    backward pass serves every direction of ``weights`` (batch, directions, dim).
    """
    import torch

    projections = torch.einsum("bd,bmd->bm", pooled.float(), weights)
    columns = weights.shape[1]
    picks = torch.eye(columns, device=first.device)[:, None, :].expand(columns, *projections.shape)
    (gradients,) = torch.autograd.grad(projections, first, grad_outputs=picks, is_grads_batched=True)
    return (gradients.float() * first.detach().float()).sum(-1).permute(1, 2, 0)
