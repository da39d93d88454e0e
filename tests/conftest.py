"""Fixtures shared by every test folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory, monkeypatch):
    """Keep each test's vector cache private, and installed third-party plugins out unless a test asks."""
    monkeypatch.setenv("ILLUSION_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("ILLUSION_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("ILLUSION_PLUGINS", raising=False)
    monkeypatch.delenv("ILLUSION_TRACE_PLUGINS", raising=False)


VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "?", "!", "'", "<", ">", "/"] + [
    "the", "a", "cat", "dog", "sat", "on", "mat", "god", "said", "let", "there", "be", "light", "what", "is", "number",
    "prime", "equation", "king", "war", "love", "joke", "program", "python", "##s", "##ing", "##ed", "and", "of", "in",
    "to", "it", "was", "script", "alert", "x", "y", "1", "2", "3",
] + [chr(c) for c in range(ord("a"), ord("z") + 1) if chr(c) not in ("a", "x", "y")] + [f"##{chr(c)}" for c in range(ord("a"), ord("z") + 1)]


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory):
    """A randomly initialised 3-layer BERT with a fast tokenizer, saved to a local folder."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-bert")
    vocab = {token: number for number, token in enumerate(dict.fromkeys(VOCAB))}
    BertTokenizerFast(vocab=vocab, do_lower_case=True).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=64)
    BertModel(config).eval().save_pretrained(folder)
    return folder
