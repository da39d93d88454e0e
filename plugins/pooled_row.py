"""Gradient x input through a BERT-shaped block read at one position (``cls`` or ``last`` pooling), without its per-token work.

Only the pooled position's output counts, so only its query, attention, feed-forward and norms are
computed. The other tokens enter through their keys and values, which are linear in their inputs:
each token's score against the query is its input against the key weights turned by the query, and
the attention output is the value projection of the attention-weighted inputs. So the chain rule
gives every token's gradient x input from one backward pass through the pooled position's row
(to the attention output and the row's own input) and a few products per head, with no projection
of every token's input at all. The transformer model layer uses this only after it has reproduced the
block's own output at the pooled positions with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def bert_shaped(block: Any) -> bool:
    """Whether ``block`` has the parts of a ``transformers`` BERT layer (BERT, RoBERTa, MiniLM...) this module reads."""
    parts = ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output", "intermediate", "output")
    try:
        return all(block.get_submodule(part) is not None for part in parts) and not getattr(block, "add_cross_attention", False)
    except AttributeError:
        return False


@dataclass
class Row:
    """The block's forward pass at the pooled positions, and what the gradients need from it (per head ``h``)."""

    output: Any  # (batch, dim): the block's output at the pooled positions
    context: Any  # (batch, heads, size): the attention output, a leaf of ``output``'s graph
    row: Any  # (batch, dim): the pooled token's input on the residual path, the other leaf
    query: Any  # (batch, heads, size)
    weights: Any  # (batch, heads, tokens): attention weights
    turned: Any  # (batch, heads, dim): the key weights turned by the query, so that q . (k_j - key bias) = turned . x_j


def _attention(block: Any) -> tuple[Any, int, int, float]:
    """The block's self-attention module, its number of heads, their size and its score scale."""
    attention = block.attention.self
    heads, size = attention.num_attention_heads, attention.attention_head_size
    return attention, heads, size, getattr(attention, "scaling", size**-0.5)


def _heads(linear: Any, heads: int, size: int) -> tuple[Any, Any]:
    """A linear layer's weight as (heads, size, dim) and its bias as (heads, size) (zeros without one)."""
    import torch

    weight = linear.weight.view(heads, size, -1)
    bias = linear.bias if linear.bias is not None else torch.zeros(heads * size, dtype=weight.dtype, device=weight.device)
    return weight, bias.view(heads, size)


def row_forward(block: Any, first: Any, mask: Any, index: Any) -> Row:
    """The block's output at position ``index[b]`` of each row ``b`` of ``first`` (batch, tokens, dim), real tokens in ``mask``."""
    import torch

    attention, heads, size, scale = _attention(block)
    key_weight, key_bias = _heads(attention.key, heads, size)
    value_weight, value_bias = _heads(attention.value, heads, size)
    batch = len(first)
    pooled = first[torch.arange(batch, device=first.device), index].detach()
    with torch.no_grad():
        query = attention.query(pooled).view(batch, heads, size)
        turned = torch.einsum("bhs,hsd->bhd", query, key_weight)
        scores = torch.einsum("bjd,bhd->bhj", first, turned) + torch.einsum("bhs,hs->bh", query, key_bias)[..., None]
        weights = (scale * scores).masked_fill(mask[:, None, :] == 0, float("-inf")).softmax(-1)
        mixed = torch.einsum("bhj,bjd->bhd", weights, first)
        context = torch.einsum("bhd,hsd->bhs", mixed, value_weight) + value_bias
    context, row = context.requires_grad_(), pooled.clone().requires_grad_()
    attended = block.attention.output(context.reshape(batch, heads * size), row)
    output = block.output(block.intermediate(attended), attended)
    return Row(output, context, row, query, weights, turned)


def row_shares(block: Any, first: Any, mask: Any, index: Any, directions: Any) -> Any:
    """Gradient x input at ``first`` of the block's output at ``index`` projected on each row of ``directions``
    (batch, m, dim): shape (batch, tokens, m), as ``pooling.gradient_x_input`` gives it."""
    import torch

    attention, heads, size, scale = _attention(block)
    value_weight, value_bias = _heads(attention.value, heads, size)
    key_weight, key_bias = _heads(attention.key, heads, size)
    query_bias = _heads(attention.query, heads, size)[1]
    found = row_forward(block, first, mask, index)
    projections = torch.einsum("bd,bmd->bm", found.output.float(), directions)
    columns = directions.shape[1]
    picks = torch.eye(columns, device=first.device)[:, None, :].expand(columns, *projections.shape)
    at_context, at_row = torch.autograd.grad(projections, (found.context, found.row), grad_outputs=picks, is_grads_batched=True)
    with torch.no_grad():
        x, weights, context = first.detach(), found.weights, found.context.detach()
        at_context = at_context.to(x.dtype)
        # the gradient at each token's value, dotted with the value less its bias: g . W_v x_j
        at_values = torch.einsum("mbhd,bjd->mbhj", torch.einsum("mbhs,hsd->mbhd", at_context, value_weight), x)
        # the gradient at each token's attention score (softmax backward): a_j (g . v_j - g . context)
        at_scores = weights * (at_values - torch.einsum("mbhs,bhs->mbh", at_context, context - value_bias)[..., None])
        against_query = scale * torch.einsum("bjd,bhd->bhj", x, found.turned)  # scale q . (k_j - key bias)
        shares = (weights * at_values).sum(2) + (at_scores * against_query).sum(2)
        # the pooled token also reaches the output through its query and the residual path
        query = found.query - query_bias
        against_keys = scale * (
            torch.einsum("bjd,bhd->bhj", x, torch.einsum("bhs,hsd->bhd", query, key_weight))
            + torch.einsum("bhs,hs->bh", query, key_bias)[..., None]
        )
        own = (at_row.to(x.dtype) * found.row.detach()).sum(-1) + (at_scores * against_keys).sum((2, 3))
        shares[:, torch.arange(len(index), device=x.device), index] += own
    return shares.float().permute(1, 2, 0)
