"""The transformer layer on tiny random BERT, RoBERTa, GPT-2 and Llama models, padded on either side,
checked against plain transformers forward passes of one sentence at a time (no padding at all)."""

import functools

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from illusion import PluginError
from illusion.host import Host
from illusion.plugins.pooling import pool
from tests.helpers.tiny_models import KINDS, write_tiny_model

TEXTS = ["the cat sat on the mat.", "god said let there be light and there was light.", "what is a prime number?", "war"]
ENCODERS, DECODERS = ("bert", "roberta"), ("gpt2", "llama")
SIDES = ("right", "left")
POOL = {"cls": lambda h: h[0], "last": lambda h: h[-1], "mean": lambda h: h.mean(0), "max": lambda h: h.max(0).values}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-models")
    return {(kind, side): write_tiny_model(root / f"{kind}-{side}", kind, side) for kind in KINDS for side in SIDES}


def layer(folder, **options):
    return Host(autoload=False).get("model layer", "transformer").create({"model": str(folder), "device": "cpu", **options})


def loaded(folder):
    return AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()


@functools.cache
def one_at_a_time(folder, index):
    """Each sentence's hidden states at layer ``index``, from a forward pass of that sentence alone."""
    tokenizer, model = loaded(folder)
    with torch.no_grad():
        return [
            model(**tokenizer(text, return_tensors="pt"), output_hidden_states=True).hidden_states[index][0] for text in TEXTS
        ]


@pytest.mark.parametrize(
    "kind, side",
    [
        pytest.param(kind, side, marks=() if (kind, side) == ("gpt2", "left") else pytest.mark.slow, id=f"{kind}-{side}")
        for kind in KINDS
        for side in SIDES
    ],
)
def test_pooled_vectors_match_one_sentence_forward_passes(folders, kind, side):
    """Every pooling (cls only where there is a classification token), at the last and a middle layer."""
    for index in (-1, 1):
        for pooling in [name for name in POOL if name != "cls" or kind in ENCODERS]:
            expected = np.stack([POOL[pooling](hidden).numpy() for hidden in one_at_a_time(folders[kind, side], index)])
            vectors = layer(folders[kind, side], layer=index, pooling=pooling, batch_size=3).encode(TEXTS)
            np.testing.assert_allclose(vectors, expected, atol=1e-5, err_msg=f"layer {index}, pooling {pooling}")


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("kind", DECODERS)
def test_pooling_reads_the_real_tokens_of_a_padded_batch(folders, kind, side):
    """A batch padded as transformers pads it for generation (positions counted over real tokens) pools like single sentences."""
    tokenizer, model = loaded(folders[kind, side])
    tokenizer.pad_token = tokenizer.eos_token
    batch = tokenizer(TEXTS, padding=True, return_tensors="pt")
    positions = (batch["attention_mask"].cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        hidden = model(**batch, position_ids=positions, output_hidden_states=True).hidden_states[-1]
    for pooling in ("last", "mean", "max"):
        expected = np.stack([POOL[pooling](h).numpy() for h in one_at_a_time(folders[kind, side], -1)])
        np.testing.assert_allclose(pool(hidden, batch["attention_mask"], pooling).numpy(), expected, atol=1e-5, err_msg=pooling)


@pytest.mark.parametrize("kind", DECODERS)
def test_cls_pooling_on_a_decoder_is_a_clear_error(folders, kind):
    with pytest.raises(PluginError, match="has no classification token .* use pooling = 'last'"):
        layer(folders[kind, "right"], pooling="cls")


@pytest.mark.parametrize("kind", DECODERS)
def test_decoders_keep_their_driving_tokens(folders, kind):
    """Token vectors (what marks the driving token) skip special tokens and point into the text."""
    tokens = layer(folders[kind, "left"], layer=2, pooling="last", batch_size=3).token_vectors(TEXTS)
    reference = one_at_a_time(folders[kind, "left"], 2)
    skip = 1 if kind == "llama" else 0  # Llama's tokenizer puts a beginning-of-sentence token first
    for text, found, hidden in zip(TEXTS, tokens, reference):
        assert [text[a:b] for a, b in found.spans] == found.tokens
        np.testing.assert_allclose(found.vectors, hidden[skip:].numpy(), atol=1e-5)
    assert [TEXTS[0][a:b] for a, b in tokens[0].spans] == ["the", "cat", "sat", "on", "the", "mat", "."]


def test_a_decoder_keeps_one_block_past_the_layer_for_its_final_norm(folders):
    assert len(layer(folders["gpt2", "right"], layer=1, pooling="last").model.h) == 2
    assert len(layer(folders["bert", "right"], layer=1).model.encoder.layer) == 1
