"""The transformer model layer with ``runtime = "openvino"``: the same vectors, tokens and shares as torch's, its own
identity, and clear refusals."""

import re
import sys

import numpy as np
import pytest

from illusion import PluginError, PluginUnavailable
from illusion.common.hardware import native_bf16
from illusion.plugins import openvino_pass
from tests.helpers.tiny_models import write_bert_like, write_tiny_model
from tests.plugins.test_transformer import TEXTS, identify, layer, pooled_block_calls

pytest.importorskip("openvino")


def relative_error(found, expected):
    return float(np.linalg.norm(found - expected) / np.linalg.norm(expected))


@pytest.mark.parametrize(("index", "pooling"), [(-1, "cls"), (-1, "mean"), (-1, "max"), (-1, "last"), (1, "cls"), (0, "mean")])
def test_openvino_gives_torchs_vectors_tokens_and_shares(tiny_bert, index, pooling):
    made = {
        runtime: layer(tiny_bert, layer=index, pooling=pooling, batch_size=2, runtime=runtime)
        for runtime in ("torch", "openvino")
    }
    expected, found = made["torch"].encode(TEXTS), made["openvino"].encode(TEXTS)
    np.testing.assert_allclose(found, expected, atol=1e-5)
    vectors, tokens = made["openvino"].encode_with_tokens(TEXTS)
    np.testing.assert_allclose(vectors, expected, atol=1e-5)
    assert [t.tokens for t in tokens] == [t.tokens for t in made["torch"].encode_with_tokens(TEXTS)[1]]
    directions = [
        np.random.default_rng(row).standard_normal((2, made["torch"].dim)).astype(np.float32) for row in range(len(TEXTS))
    ]
    for ours, theirs in zip(made["openvino"].attribute(TEXTS, directions), made["torch"].attribute(TEXTS, directions)):
        np.testing.assert_allclose(ours.shares, theirs.shares, atol=1e-4)


@pytest.mark.parametrize(("index", "pooling"), [(-1, "last"), (1, "mean")])
def test_openvino_gives_a_decoders_vectors_as_torch_does(tmp_path_factory, index, pooling):
    """GPT-2 returns its key/value cache unless told not to, which OpenVINO cannot convert."""
    gpt2 = write_tiny_model(tmp_path_factory.mktemp("gpt2"), "gpt2", layers=2)
    made = {
        runtime: layer(gpt2, layer=index, pooling=pooling, batch_size=2, runtime=runtime) for runtime in ("torch", "openvino")
    }
    np.testing.assert_allclose(made["openvino"].encode(TEXTS), made["torch"].encode(TEXTS), atol=1e-5)


def test_a_pass_whose_tracing_fixed_its_shapes_is_refused_not_wrong_on_later_batches(tiny_bert, tmp_path_factory):
    """Longformer's tracing fixes its padding to the attention window and its chunks: a pass traced at the first batch's
    width would pass the check there (8 tokens) and give wrong vectors for a later batch of 12."""
    longformer = write_bert_like(tmp_path_factory.mktemp("longformer"), "longformer", tiny_bert, attention_window=4)
    made = {runtime: layer(longformer, pooling="mean", batch_size=2, runtime=runtime) for runtime in ("torch", "openvino")}
    batches = (["the cat sat on the mat", "the dog sat on the mat"], ["the cat sat on the mat and the dog sat", "x"])
    try:
        found = [made["openvino"].encode(texts) for texts in batches]
    except PluginError as refused:
        assert re.search(
            r"OpenVINO (cannot run|does not reproduce the hidden states of) model .*; use runtime = 'torch'", str(refused)
        )
    else:  # an OpenVINO that converts Longformer with its shapes free
        for texts, vectors in zip(batches, found, strict=True):
            np.testing.assert_allclose(vectors, made["torch"].encode(texts), atol=1e-5)


def test_under_cls_openvino_runs_the_blocks_before_the_pooled_one_and_torch_its_pooled_rows(tiny_bert):
    model = layer(tiny_bert, pooling="cls", batch_size=1, runtime="openvino")
    calls = pooled_block_calls(model)
    np.testing.assert_allclose(model.encode(TEXTS), layer(tiny_bert, pooling="cls").encode(TEXTS), atol=1e-5)
    assert len(calls) == 1  # the check of the pooled rows on the first batch: OpenVINO never ran the pooled block
    assert model._checked_row_block is not False


@pytest.mark.skipif(not native_bf16(), reason="OpenVINO's bfloat16 needs a CPU with native bfloat16")
@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_openvino_bfloat16_stays_close_to_float32(tiny_bert, pooling):
    expected = layer(tiny_bert, pooling=pooling).encode(TEXTS)
    found = layer(tiny_bert, pooling=pooling, dtype="bfloat16", runtime="openvino").encode(TEXTS)
    assert 0 < relative_error(found, expected) < 3e-2


def test_openvino_vectors_have_their_own_identity_and_identify_knows_it(tiny_bert):
    torch_layer = layer(tiny_bert)
    assert "runtime" not in torch_layer.identity  # the vectors torch made before keep their keys
    for dtype, precision in (("auto", "float32"), ("float32", "float32"), ("bfloat16", "bfloat16")):
        made = layer(tiny_bert, dtype=dtype, runtime="openvino").identity
        assert made == identify(tiny_bert, dtype=dtype, runtime="openvino")
        assert (made["runtime"], made["dtype"]) == ("openvino", precision)
        assert made != torch_layer.identity


@pytest.mark.parametrize("make", [layer, identify])
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"device": "cuda"}, "runtime 'openvino' runs on the CPU, not 'cuda'; use device = 'cpu'"),
        ({"dtype": "mixed"}, "runtime 'openvino' runs in float32 or bfloat16, not 'mixed'"),
        ({"dtype": "float16"}, "runtime 'openvino' runs in float32 or bfloat16, not 'float16'"),
    ],
)
def test_openvino_refuses_what_it_cannot_run_clearly(tiny_bert, make, options, message):
    with pytest.raises(PluginError, match=message):
        make(tiny_bert, runtime="openvino", **{"device": "cpu", **options})


def test_a_missing_openvino_is_said_with_how_to_install_it(tiny_bert, monkeypatch):
    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino raises ImportError
    with pytest.raises(PluginUnavailable, match=r"needs the openvino package: pip install 'illusion\[openvino\]'"):
        layer(tiny_bert, runtime="openvino")


def test_a_compiled_pass_that_does_not_reproduce_torch_is_refused(tiny_bert, monkeypatch):
    compiled = openvino_pass.compiled_pass

    def off(*args, **kwargs):
        run = compiled(*args, **kwargs)
        return lambda inputs: tuple(states * 1.01 for states in run(inputs))

    monkeypatch.setattr("illusion.plugins.transformer.compiled_pass", off)
    with pytest.raises(PluginError, match=r"OpenVINO does not reproduce the hidden states of model .* use runtime = 'torch'"):
        layer(tiny_bert, pooling="mean", runtime="openvino").encode(TEXTS)


def test_a_model_openvino_cannot_convert_or_run_is_refused_clearly(tiny_bert, monkeypatch):
    def fails(*args, **kwargs):
        raise RuntimeError("Check 'shape' failed")

    monkeypatch.setattr("illusion.plugins.transformer.compiled_pass", fails)
    with pytest.raises(
        PluginError, match=r"OpenVINO cannot run model .*: RuntimeError: Check 'shape' failed; use runtime = 'torch'"
    ):
        layer(tiny_bert, runtime="openvino").encode(TEXTS)


def test_a_later_batch_openvino_cannot_run_is_refused_clearly(tiny_bert, monkeypatch):
    compiled = openvino_pass.compiled_pass

    def once(*args, **kwargs):
        run, calls = compiled(*args, **kwargs), []

        def later_fails(inputs):
            calls.append(1)
            if len(calls) > 1:
                raise RuntimeError("Reshape node check failed")
            return run(inputs)

        return later_fails

    monkeypatch.setattr("illusion.plugins.transformer.compiled_pass", once)
    with pytest.raises(PluginError, match=r"OpenVINO cannot run model .*: RuntimeError: Reshape node check failed; use"):
        layer(tiny_bert, pooling="mean", batch_size=2, runtime="openvino").encode(TEXTS)


def test_a_sweep_of_an_openvino_layer_is_refused_clearly(tiny_bert):
    with pytest.raises(PluginError, match="a sweep runs on torch .* set runtime = 'torch'"):
        layer(tiny_bert, runtime="openvino").encode_layers(TEXTS, [(1, "mean")])
