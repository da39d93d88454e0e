"""The transformer model layer on a tiny randomly initialised BERT, checked against a plain transformers forward pass."""

import importlib.metadata
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoTokenizer

from illusion import PluginError
from illusion.host import Host
from tests.helpers.tiny_models import write_bert_like

TEXTS = ["the cat sat on the mat.", "god said let there be light and there was light.", "what is a prime number?", "x"]


def layer(folder, **options):
    return Host(autoload=False).get("model layer", "transformer").create({"model": str(folder), "device": "cpu", **options})


def reference(folder, index):
    tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()
    batch = tokenizer(TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch, output_hidden_states=True).hidden_states[index]
    return hidden.numpy(), batch["attention_mask"].numpy()


@pytest.mark.parametrize("index", [-1, 1, 0])
@pytest.mark.parametrize("pooling", ["cls", "mean", "max"])
def test_pooled_vectors_match_a_full_forward_pass(tiny_bert, index, pooling):
    hidden, mask = reference(tiny_bert, index)
    expected = {
        "cls": hidden[:, 0],
        "mean": (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True),
        "max": np.where(mask[..., None] == 1, hidden, -np.inf).max(1),
    }[pooling]
    vectors = layer(tiny_bert, layer=index, pooling=pooling, batch_size=2).encode(TEXTS)
    np.testing.assert_allclose(vectors, expected, atol=1e-5)


def pooled_block_calls(model):
    """How many times the pooled layer's whole block runs, as a list kept up to date."""
    calls = []
    parent, name = model._blocks
    getattr(parent, name)[model.layer - 1].register_forward_hook(lambda *_: calls.append(1))
    return calls


@pytest.mark.parametrize("pooling", ["cls", "last"])
def test_cls_and_last_pooling_run_the_pooled_block_at_the_pooled_positions_once_it_is_checked(tiny_bert, pooling):
    hidden, mask = reference(tiny_bert, -1)
    expected = hidden[np.arange(len(TEXTS)), 0 if pooling == "cls" else mask.sum(1) - 1]
    model = layer(tiny_bert, pooling=pooling, batch_size=1)
    calls = pooled_block_calls(model)
    np.testing.assert_allclose(model.encode(TEXTS), expected, atol=1e-5)
    assert len(calls) == 1  # the check, on the first batch: the other three ran the pooled rows only


@pytest.fixture(scope="module")
def bert_like(tiny_bert, tmp_path_factory):
    """Tiny random models of families whose blocks have a BERT layer's parts, with the tiny BERT's tokenizer:
    a final norm after the block list (RoBERTa-PreLayerNorm), heads of another shape (ConvBERT), quantisable
    linears (I-BERT), inputs padded inside the model (Longformer) and attention of another kind (Nystromformer)."""
    root = tmp_path_factory.mktemp("bert-like")
    extra = {"convbert": {"embedding_size": 32}, "longformer": {"attention_window": 4}}
    kinds = ("roberta-prelayernorm", "convbert", "ibert", "longformer", "nystromformer")
    return {kind: write_bert_like(root / kind, kind, tiny_bert, **extra.get(kind, {})) for kind in kinds}


@pytest.mark.parametrize("kind", ["roberta-prelayernorm", "convbert", "ibert", "longformer"])
def test_cls_and_last_pooling_of_other_families_with_bert_like_blocks_match_a_full_forward_pass(bert_like, kind):
    """Each text alone (ConvBERT's convolutions see padding)."""
    tokenizer, model = AutoTokenizer.from_pretrained(bert_like[kind]), AutoModel.from_pretrained(bert_like[kind]).eval()
    with torch.no_grad():
        alone = [
            model(**tokenizer([text], return_tensors="pt"), output_hidden_states=True).hidden_states[-1][0] for text in TEXTS
        ]
    for pooling in ("cls", "last"):
        expected = np.stack([hidden[0 if pooling == "cls" else -1].numpy() for hidden in alone])
        np.testing.assert_allclose(layer(bert_like[kind], pooling=pooling, batch_size=1).encode(TEXTS), expected, atol=1e-5)


def test_a_layer_below_the_last_of_a_model_with_a_final_norm_is_its_blocks_output(bert_like):
    """RoBERTa-PreLayerNorm normalises its last hidden state only: the layers below it are their blocks' outputs, as
    ``output_hidden_states=True`` gives them, for a layer made with that layer and for a sweep's view of it alike."""
    folder = bert_like["roberta-prelayernorm"]
    tokenizer, model = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()
    batch = tokenizer(TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch, output_hidden_states=True).hidden_states[1].numpy()
    mask = batch["attention_mask"].numpy()[..., None]
    (view,) = layer(folder, pooling="mean", batch_size=2).encode_layers(TEXTS, [(1, "mean")])
    for pooling, expected in [("cls", hidden[:, 0]), ("mean", (hidden * mask).sum(1) / mask.sum(1))]:
        np.testing.assert_allclose(layer(folder, layer=1, pooling=pooling, batch_size=2).encode(TEXTS), expected, atol=1e-5)
    np.testing.assert_allclose(view, expected, atol=1e-5)


def test_a_mixed_layer_checks_its_pooled_row_in_float32(bert_like):
    """bfloat16's tolerance would let the row stand in for attention of another kind."""
    model = layer(bert_like["nystromformer"], dtype="mixed", batch_size=2)
    model.encode(TEXTS)
    assert model._checked_row_block is False


def test_a_mixed_sweep_checks_its_pooled_rows_as_strictly_as_a_run(bert_like):
    """Its views share their identities, and so cached vectors, with the runs of those options: bit for bit."""
    views = [(1, "cls"), (2, "cls"), (2, "last")]
    sweep = layer(bert_like["nystromformer"], dtype="mixed", batch_size=2)
    for vectors, (at, how) in zip(sweep.encode_layers(TEXTS, views), views):
        run = layer(bert_like["nystromformer"], layer=at, pooling=how, dtype="mixed", batch_size=2)
        np.testing.assert_array_equal(vectors, run.encode(TEXTS))
    assert not any(sweep._view_blocks.values())


def test_a_layer_whose_first_pass_ran_part_of_its_blocks_still_gives_every_layers_tokens(tiny_bert):
    model = layer(tiny_bert, layer=2)
    model.encode(TEXTS)  # the blocks before the pooled one, then its rows
    hidden, _ = reference(tiny_bert, 2)
    first = model.token_vectors(TEXTS)[0]  # a whole pass, whose hidden states must still be those of every block
    np.testing.assert_allclose(first.vectors, hidden[0, 1 : 1 + len(first.spans)], atol=1e-5)


@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_mixed_precision_stays_close_to_float32_and_puts_the_process_wide_setting_back(tiny_bert, pooling):
    before = torch.backends.mkldnn.matmul.fp32_precision
    exact = layer(tiny_bert, pooling=pooling).encode(TEXTS)
    model = layer(tiny_bert, pooling=pooling, dtype="mixed", batch_size=1)
    calls = pooled_block_calls(model)
    found = model.encode(TEXTS)
    cosines = (found * exact).sum(1) / np.linalg.norm(found, axis=1) / np.linalg.norm(exact, axis=1)
    assert cosines.min() > 0.999 and found.dtype == np.float32 and model.identity["dtype"] == "mixed"
    assert len(calls) == (1 if pooling == "cls" else len(TEXTS))  # cls: the pooled row passed its float32 check
    assert torch.backends.mkldnn.matmul.fp32_precision == before

    def stop(done):
        assert torch.backends.mkldnn.matmul.fp32_precision == "bf16"  # inside, the products are bfloat16
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        model.encode(TEXTS, progress=stop)
    assert torch.backends.mkldnn.matmul.fp32_precision == before


@pytest.mark.parametrize("dtype", ["float32", "mixed"])
def test_several_layers_read_in_one_pass_are_the_vectors_of_layers_made_with_those_options(tiny_bert, dtype):
    """Bit for bit, pooled rows included: a sweep's views share cached vectors with runs of those options."""
    views = [(1, "cls"), (2, "last"), (3, "cls"), (3, "mean")]
    found = layer(tiny_bert, batch_size=2, dtype=dtype).encode_layers(TEXTS, views)
    for vectors, (at, how) in zip(found, views):
        np.testing.assert_array_equal(vectors, layer(tiny_bert, layer=at, pooling=how, batch_size=2, dtype=dtype).encode(TEXTS))


def test_several_layers_read_in_one_pass_of_a_mixed_layer_are_in_its_precision(tiny_bert):
    """They share their identities, and so the activation cache, with the vectors of mixed layers of those options."""
    model, seen = layer(tiny_bert, pooling="mean", dtype="mixed"), []
    (found,) = model.encode_layers(
        TEXTS, [(3, "mean")], progress=lambda done: seen.append(torch.backends.mkldnn.matmul.fp32_precision)
    )
    assert set(seen) == {"bf16"}
    np.testing.assert_allclose(found, model.encode(TEXTS), atol=1e-6)


def identify(folder, **options):
    """What the plugin's ``identify`` says of these options (it keys cached vectors without creating the layer)."""
    return Host(autoload=False).get("model layer", "transformer").identity_of({"model": str(folder), "device": "cpu", **options})


def torch_release(monkeypatch, release):
    """Make the installed torch say it is ``release``."""
    installed = importlib.metadata.version
    monkeypatch.setattr(importlib.metadata, "version", lambda name: release if name == "torch" else installed(name))


@pytest.mark.parametrize("make", [layer, identify])
def test_torch_before_the_bfloat16_math_mode_encodes_float32_and_refuses_mixed_clearly(tiny_bert, monkeypatch, make):
    """torch before 2.9 has no ``torch.backends.mkldnn.matmul``: the row path of float32 layers must not need it.
    ``identify`` refuses as creating the layer does, or a cache filled elsewhere would serve what cannot be made here."""
    monkeypatch.delattr(type(torch.backends.mkldnn), "matmul")
    torch_release(monkeypatch, "2.8.0+cpu")
    hidden, _ = reference(tiny_bert, -1)
    np.testing.assert_allclose(layer(tiny_bert, batch_size=2).encode(TEXTS), hidden[:, 0], atol=1e-5)
    with pytest.raises(
        PluginError, match=r"dtype 'mixed' needs torch 2.9 or later \(this is 2.8.0\+cpu\); use dtype = 'float32'"
    ):
        make(tiny_bert, dtype="mixed")


@pytest.mark.parametrize("make", [layer, identify])
def test_mixed_precision_is_for_cpus(tiny_bert, monkeypatch, make):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    with pytest.raises(PluginError, match="dtype 'mixed' is for CPUs, not 'cuda'; use dtype = 'float16'"):
        make(tiny_bert, device="cuda", dtype="mixed")


def test_identify_leaves_a_mixed_layer_on_a_machine_that_may_pick_a_gpu_to_the_layer(tiny_bert, monkeypatch):
    """``device = 'auto'`` may pick a GPU (CUDA, or a Mac's), where creating the layer refuses ``mixed``: identify cannot
    tell without torch, so says nothing, and the layer decides."""
    from illusion.plugins import transformer

    monkeypatch.setattr(transformer, "_gpu_may_be_present", lambda: False)
    assert identify(tiny_bert, device="auto", dtype="mixed")["dtype"] == "mixed"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert identify(tiny_bert, device="auto", dtype="mixed") is None
    assert identify(tiny_bert, device="auto", dtype="auto")["dtype"] == "torch.float32"  # what a Mac's GPU runs too
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(transformer, "_gpu_may_be_present", lambda: True)
    assert identify(tiny_bert, device="auto", dtype="mixed") is None


def test_blocks_after_the_layer_are_dropped(tiny_bert):
    assert len(layer(tiny_bert, layer=1).model.encoder.layer) == 1
    assert len(layer(tiny_bert, layer=-1).model.encoder.layer) == 3


def test_progress_counts_every_sentence(tiny_bert):
    done = []
    layer(tiny_bert, batch_size=3).encode(TEXTS, progress=done.append)
    assert sum(done) == len(TEXTS)


def test_token_vectors_have_spans_into_the_text(tiny_bert):
    model = layer(tiny_bert, layer=2)
    hidden, _ = reference(tiny_bert, 2)
    tokens = model.token_vectors(TEXTS)
    first = tokens[0]
    assert [TEXTS[0][a:b] for a, b in first.spans] == ["the", "cat", "sat", "on", "the", "mat", "."]
    np.testing.assert_allclose(first.vectors, hidden[0, 1 : 1 + len(first.spans)], atol=1e-5)
    direction = first.vectors[2] / np.linalg.norm(first.vectors[2])
    assert first.strongest(direction)[0] == "sat"


@pytest.mark.parametrize("dtype", ["float32", "mixed"])
@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_one_pass_gives_the_vectors_and_tokens_of_two(tiny_bert, pooling, dtype):
    """In each precision: under mixed, cls pooling's pooled rows run in float32 here as in ``encode``."""
    model = layer(tiny_bert, layer=2, pooling=pooling, batch_size=3, dtype=dtype)
    done = []
    vectors, tokens = model.encode_with_tokens(TEXTS, progress=done.append)
    np.testing.assert_allclose(vectors, model.encode(TEXTS), atol=1e-6)
    for one, other in zip(tokens, model.token_vectors(list(reversed(TEXTS)))[::-1]):
        assert one.tokens == other.tokens and one.spans == other.spans
        np.testing.assert_allclose(one.vectors, other.vectors, atol=1e-5)
    assert sum(done) == len(TEXTS)


def test_bulk_tokenising_and_vectorised_padding_match_the_tokenizers_own(tiny_bert):
    model = layer(tiny_bert, batch_size=3, max_length=6)
    texts = [*TEXTS, "the cat sat on the mat and the dog sat on the cat."]
    expected = AutoTokenizer.from_pretrained(tiny_bert)(texts, truncation=True, max_length=6)
    for rows, _, batch in model._batches(texts):
        mask = batch["attention_mask"].numpy()
        for position, row in enumerate(rows):
            length = int(mask[position].sum())
            assert mask[position, :length].all() and not mask[position, length:].any()
            for key in ("input_ids", "token_type_ids"):
                assert batch[key][position, :length].tolist() == expected[key][row]
            assert (batch["input_ids"][position, length:] == 0).all()


def test_identity_changes_with_layer_and_pooling(tiny_bert):
    a, b, c = layer(tiny_bert), layer(tiny_bert, layer=1), layer(tiny_bert, pooling="mean")
    assert len({str(x.identity) for x in (a, b, c)}) == 3
    assert a.dim == 32


@pytest.mark.parametrize(
    "options, message",
    [
        ({"layer": 4}, "has layers 0..3"),
        ({"layer": -5}, "has layers 0..3"),
        ({"pooling": "sum"}, "choose one of 'cls', 'mean', 'max'"),
        ({"batch_size": 0}, "batch_size must be >= 1"),
    ],
)
def test_bad_options_are_clear(tiny_bert, options, message):
    with pytest.raises(PluginError, match=message):
        layer(tiny_bert, **options)


def test_weights_load_on_first_use_and_broken_ones_fail_there_with_a_clear_error(tiny_bert, tmp_path):
    folder = tmp_path / "broken"
    shutil.copytree(tiny_bert, folder)
    (weights,) = folder.glob("*.safetensors")
    weights.write_bytes(b"not a model")
    model = layer(folder)  # creating it reads the tokenizer and the config only
    assert model.dim == 32 and model.identity["layer"] == 3
    with pytest.raises(PluginError, match=f"cannot load model '{folder}' from {folder}"):
        model.encode(["the cat"])


def test_unknown_model_fails_offline_with_a_hint(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(PluginError, match="cannot load model 'no-such-org/no-such-model' offline: .*set download = true"):
        layer("no-such-org/no-such-model")


@pytest.mark.slow
def test_hub_name_loads_from_the_local_cache(tiny_bert, tmp_path):
    """`bert-base-uncased` by name, for users who have it in their Hugging Face cache (here: the tiny model under that name)."""
    repo = tmp_path / "hub" / "models--bert-base-uncased"
    shutil.copytree(tiny_bert, repo / "snapshots" / "0123abcd")
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    code = (
        "from illusion.host import Host; m = Host(autoload=False).get('model layer', 'transformer')"
        ".create({'model': 'bert-base-uncased', 'device': 'cpu'}); print(m.dim, m.encode(['the cat']).shape)"
    )
    env = {**os.environ, "HF_HUB_CACHE": str(tmp_path / "hub"), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["32", "(1,", "32)"]


@pytest.mark.parametrize(("dtype", "identity"), [("bfloat16", "torch.bfloat16"), ("mixed", "mixed")])
def test_bfloat16_on_a_cpu_without_native_support_is_said_to_be_slower(tiny_bert, monkeypatch, dtype, identity):
    for check in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"):
        monkeypatch.setattr(torch.cpu, check, lambda: False, raising=False)
    with pytest.warns(UserWarning, match=f"dtype '{dtype}' on a CPU without native bfloat16 .* runs slower than float32"):
        model = layer(tiny_bert, dtype=dtype)
    assert model.encode(TEXTS).dtype == np.float32 and model.identity["dtype"] == identity
