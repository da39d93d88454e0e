"""Each token's share of a sentence's score: exact under mean and max pooling, gradient x input under cls and last,
checked against finite differences on a tiny BERT and against the pooled vector where the shares must add up."""

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from illusion.directions import Directions
from illusion.host import Host
from illusion.plugins.pooling import Kept, exact_shares, gradient_x_input, pool
from illusion.run.listing import Listing, Slot
from illusion.run.tokens import TokenCache, mark_tokens
from tests.helpers.tiny_models import write_bert_like, write_tiny_model

TEXTS = ["the cat sat on the mat.", "god said let there be light and there was light.", "what is a prime number?"]
LAYER = 2


def layer(folder, **options):
    options = {"model": str(folder), "device": "cpu", "layer": LAYER, "batch_size": 2, **options}
    return Host(autoload=False).get("model layer", "transformer").create(options)


def directions(count, dim=32, seed=0):
    return np.random.default_rng(seed).normal(size=(count, dim)).astype(np.float32)


@pytest.fixture(scope="module")
def tiny_models(tiny_bert, tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-models")
    models = {kind: write_tiny_model(root / kind, kind) for kind in ("gpt2", "llama", "roberta")}
    # pads its inputs inside to a multiple of its attention window, and attends within the window
    models["longformer"] = write_bert_like(root / "longformer", "longformer", tiny_bert, layers=3, attention_window=4)
    return models


def projection_with_scaled_token(model, batch, token, factor, direction, how):
    """The pooled vector's projection with one token's input to the pooled layer's block scaled by ``factor``."""
    block = next(m for m in model.modules() if isinstance(m, torch.nn.ModuleList))[LAYER - 1]

    def scale(module, args, kwargs):
        if args:
            hidden = args[0].clone()
            hidden[0, token] *= factor
            return (hidden, *args[1:]), kwargs
        hidden = kwargs["hidden_states"].clone()
        hidden[0, token] *= factor
        return args, {**kwargs, "hidden_states": hidden}

    handle = block.register_forward_pre_hook(scale, with_kwargs=True)
    try:
        with torch.no_grad():
            hidden = model(**batch, output_hidden_states=True).hidden_states[LAYER].double()
    finally:
        handle.remove()
    return float(pool(hidden, batch["attention_mask"], how)[0] @ torch.from_numpy(direction).double())


@pytest.mark.parametrize("kept", [False, True], ids=["whole pass", "kept by encode"])
@pytest.mark.parametrize(
    "kind, how", [("bert", "cls"), ("bert", "last"), ("gpt2", "last"), ("llama", "last"), ("longformer", "cls")]
)
def test_gradient_x_input_is_the_derivative_of_the_score_as_each_token_is_scaled(tiny_bert, tiny_models, kind, how, kept):
    """Gradient x input of token t is d/da score(x_t * (1 + a)) at a = 0: a central finite difference on a separate model."""
    folder = tiny_bert if kind == "bert" else tiny_models[kind]
    tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval().double()
    chosen, attributing = directions(2), layer(folder, pooling=how)
    if kept:
        attributing.encode(TEXTS)
    shares = attributing.attribute(TEXTS, [chosen] * len(TEXTS))
    assert not attributing.kept.states  # each kept state is used once, then freed
    step = 1e-4
    for text, found in zip(TEXTS, shares):
        batch = tokenizer([text], return_tensors="pt", return_special_tokens_mask=True)
        real = [i for i, special in enumerate(batch.pop("special_tokens_mask")[0]) if not special]
        assert len(real) == len(found.tokens)
        for column, direction in enumerate(chosen):
            for position, token in enumerate(real):
                up, down = (projection_with_scaled_token(model, batch, token, 1 + s, direction, how) for s in (step, -step))
                scale = float(np.abs(found.shares[:, column]).max())  # the plugin computes in float32, the reference in float64
                assert found.shares[position, column] == pytest.approx((up - down) / (2 * step), rel=1e-3, abs=1e-3 * scale)


@pytest.mark.parametrize("how", ["mean", "max"])
def test_exact_shares_of_every_pooled_token_add_up_to_the_score(tiny_bert, how):
    tokenizer, model = AutoTokenizer.from_pretrained(tiny_bert), AutoModel.from_pretrained(tiny_bert).eval()
    batch = tokenizer(TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch, output_hidden_states=True).hidden_states[LAYER]
    chosen = torch.from_numpy(directions(3))
    weights = chosen.expand(len(TEXTS), -1, -1)
    shares = exact_shares(hidden, batch["attention_mask"], how, weights)  # special tokens included
    scores = pool(hidden, batch["attention_mask"], how) @ chosen.T
    torch.testing.assert_close(shares.sum(1), scores, atol=1e-4, rtol=1e-5)
    assert (shares[batch["attention_mask"] == 0] == 0).all()  # padding has no share
    found = layer(tiny_bert, pooling=how).attribute(TEXTS, [chosen.numpy()] * len(TEXTS))
    for row, item in enumerate(found):  # the plugin's shares are those of the real tokens, between [CLS] and [SEP]
        np.testing.assert_allclose(item.shares, shares[row, 1 : 1 + len(item.tokens)].numpy(), atol=1e-5)


def block_calls(model):
    """How many times each block of ``model`` (a transformer model layer) runs, as a list kept up to date."""
    parent, name = model._blocks
    calls = [0] * len(getattr(parent, name))
    for number, block in enumerate(getattr(parent, name)):
        block.register_forward_hook(lambda *_, number=number: calls.__setitem__(number, calls[number] + 1))
    return calls


@pytest.mark.parametrize("kind", ["bert", "gpt2", "llama"])
def test_attributing_from_the_states_encode_kept_runs_only_the_pooled_layers_block_and_equals_a_whole_pass(
    tiny_bert, tiny_models, kind
):
    """At every layer (0 = embeddings, 3 = the last, under a decoder's final norm) and pooling."""
    folder, chosen = tiny_bert if kind == "bert" else tiny_models[kind], directions(2)
    for at in range(4):
        for how in ("cls", "last", "mean", "max") if kind == "bert" else ("last", "mean", "max"):
            whole = layer(folder, layer=at, pooling=how).attribute(TEXTS, [chosen] * len(TEXTS))
            model = layer(folder, layer=at, pooling=how)
            model.encode(TEXTS)
            assert set(model.kept.states) == set(TEXTS)
            calls = block_calls(model)
            found = model.attribute(TEXTS, [chosen] * len(TEXTS))
            ran = [number for number, count in enumerate(calls) if count]
            checked = kind == "bert" and how in ("cls", "last")  # encode checked the pooled row's block: it need not run
            assert ran == ([] if how in ("mean", "max") or at == 0 or checked else list(range(at - 1, len(calls)))), (at, how)
            assert not model.kept.states and model.kept.used == 0
            for one, other in zip(whole, found):
                assert one.tokens == other.tokens
                np.testing.assert_allclose(one.shares, other.shares, atol=1e-5)


@pytest.mark.parametrize("kind", ["bert", "roberta"])
def test_a_bert_shaped_block_is_attributed_at_its_pooled_row_alone_as_the_whole_block_would_be(tiny_bert, tiny_models, kind):
    folder = tiny_bert if kind == "bert" else tiny_models[kind]
    chosen = directions(3)
    for at in (1, 2, 3):
        for how in ("cls", "last"):
            rows, whole = layer(folder, layer=at, pooling=how), layer(folder, layer=at, pooling=how)
            whole._checked_row_block = False  # as if the check had failed: the whole block, by autograd
            found = rows.attribute(TEXTS, [chosen[: 1 + n] for n in range(len(TEXTS))])
            assert rows._checked_row_block is getattr(*rows._blocks)[at - 1], (at, how)
            for one, other in zip(found, whole.attribute(TEXTS, [chosen[: 1 + n] for n in range(len(TEXTS))])):
                assert one.tokens == other.tokens
                np.testing.assert_allclose(one.shares, other.shares, atol=1e-5)


def test_a_block_its_pooled_row_does_not_reproduce_is_attributed_through_the_whole_block(tiny_bert):
    """A block whose output something else changes (here a hook) fails the check and gets the general path."""
    chosen, models = directions(2), [layer(tiny_bert) for _ in range(2)]
    for model in models:
        getattr(*model._blocks)[LAYER - 1].register_forward_hook(lambda module, args, output: output * 1.5)
    models[1]._checked_row_block = False
    found, expected = (model.attribute(TEXTS, [chosen] * len(TEXTS)) for model in models)
    assert models[0]._checked_row_block is False
    for one, other in zip(found, expected):
        np.testing.assert_allclose(one.shares, other.shares, atol=1e-5)


@pytest.mark.parametrize("how", ["cls", "last"])
def test_a_model_without_a_list_of_blocks_is_attributed_through_a_whole_pass(tiny_bert, how):
    """As a model that shares one block between its layers (ALBERT) is: no block list to start from."""
    chosen, usual, whole = directions(2), layer(tiny_bert, pooling=how), layer(tiny_bert, pooling=how)
    whole._blocks = None
    whole.encode(TEXTS)
    for one, other in zip(whole.attribute(TEXTS, [chosen] * 3), usual.attribute(TEXTS, [chosen] * 3)):
        np.testing.assert_allclose(one.shares, other.shares, atol=1e-5)
    assert whole._checked_row_block is False


def test_encode_keeps_states_within_its_budget_and_the_others_are_attributed_by_a_whole_pass(tiny_bert):
    model, chosen = layer(tiny_bert, batch_size=3), directions(2)
    whole = model.attribute(TEXTS, [chosen] * len(TEXTS))
    model.kept = Kept(budget=1)
    model.encode(TEXTS)
    assert len(model.kept.states) == 1 and model.kept.used > 0
    again = layer(tiny_bert)
    for _ in range(2):  # a text encoded again is kept once, and counted once
        again.encode(TEXTS)
    assert len(again.kept.states) == 3 and again.kept.used == sum(state.nbytes for state in again.kept.states.values())
    found = model.attribute(TEXTS, [chosen] * len(TEXTS))
    assert not model.kept.states and model.kept.used == 0
    for one, other in zip(whole, found):
        np.testing.assert_allclose(one.shares, other.shares, atol=1e-5)


def test_gradient_x_input_adds_up_to_the_score_of_a_homogeneous_function():
    """Completeness holds exactly for a function with f(a x) = a f(x) (Euler): here a bias-free ReLU network."""
    generator = torch.Generator().manual_seed(0)
    first = torch.randn(3, 5, 8, generator=generator, requires_grad=True)
    inner, outer = torch.randn(8, 16, generator=generator), torch.randn(16, 8, generator=generator)
    pooled = torch.relu(first.mean(1) @ inner) @ outer
    weights = torch.randn(3, 2, 8, generator=generator)
    shares = gradient_x_input(first, pooled, weights)
    torch.testing.assert_close(shares.sum(1), torch.einsum("bd,bmd->bm", pooled.detach(), weights), atol=1e-4, rtol=1e-5)


def test_a_sentence_needing_fewer_directions_than_its_batch_gets_its_own_columns(tiny_bert):
    model, chosen = layer(tiny_bert, batch_size=3), directions(3)
    together = model.attribute(TEXTS, [chosen[:1], chosen, chosen[1:]])
    alone = [model.attribute([text], [wanted])[0] for text, wanted in zip(TEXTS, [chosen[:1], chosen, chosen[1:]])]
    for one, other in zip(together, alone):
        assert one.tokens == other.tokens and one.shares.shape == other.shares.shape
        np.testing.assert_allclose(one.shares, other.shares, atol=1e-5)


def test_cls_marks_the_token_that_drives_the_pooled_vector_not_the_one_whose_own_vector_projects_furthest(tiny_bert, tmp_path):
    """A direction built so that 'cat' projects further than 'dog' on its own, while 'dog' moves [CLS] further."""
    model, text = layer(tiny_bert), "cat dog"
    (own,) = model.token_vectors([text])
    (moves,) = model.attribute([text], [np.eye(model.dim, dtype=np.float32)])  # row t: how scaling token t moves [CLS]
    assert own.tokens == ["cat", "dog"]
    unit = [v / np.linalg.norm(v) for v in (own.vectors[0] - own.vectors[1], moves.shares[1] - moves.shares[0])]
    direction = unit[0] + unit[1]
    assert (own.vectors[0] - own.vectors[1]) @ direction > 0 and (moves.shares[1] - moves.shares[0]) @ direction > 0
    listing = Listing("d", "pets", [Slot("s1", text)])
    marked = {}
    for method, subject in (("gradient x input", model), ("own projection", OwnOnly(model))):
        mark_tokens([listing], Directions(["d"], direction[None]), subject, TokenCache(None, {}, ("t", "1"), direction[None]))
        marked[method] = listing.top[0].token
    assert marked == {"gradient x input": "dog", "own projection": "cat"}


class OwnOnly:
    """A model layer that cannot attribute: only token vectors."""

    def __init__(self, inner):
        self.inner, self.dim = inner, inner.dim

    def token_vectors(self, texts):
        return self.inner.token_vectors(texts)
