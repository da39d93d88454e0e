"""Tiny randomly initialised encoder and decoder models, built from configs and saved with a local tokenizer (no downloads)."""

from __future__ import annotations

from pathlib import Path

WORDS = [
    "the",
    "a",
    "an",
    "and",
    "of",
    "in",
    "on",
    "to",
    "is",
    "was",
    "be",
    "it",
    "that",
    "this",
    "what",
    "who",
    "how",
    "why",
    "there",
    "let",
    "said",
    "cat",
    "dog",
    "sat",
    "mat",
    "god",
    "light",
    "king",
    "war",
    "love",
    "prime",
    "number",
    "equation",
    "program",
    "python",
    "script",
    "alert",
    "old",
    "new",
    "ship",
]
PUNCTUATION = list(".,;:!?'\"()-<>/[]{}#")
KINDS = ("bert", "roberta", "gpt2", "llama")
"""The architectures: encoders with a classification token (BERT, RoBERTa) and decoders without (GPT-2, Llama)."""

# Per kind: special tokens (in vocabulary order), the template that wraps one sentence, the tokenizer's
# special-token roles, and the inputs the real tokenizer of that family returns.
_SPECIALS = {
    "bert": (
        ["[PAD]", "[UNK]", "[CLS]", "[SEP]"],
        "[CLS] $A [SEP]",
        {"pad": "[PAD]", "unk": "[UNK]", "cls": "[CLS]", "sep": "[SEP]"},
    ),
    "roberta": (["<s>", "<pad>", "</s>", "<unk>"], "<s> $A </s>", {"pad": "<pad>", "unk": "<unk>", "cls": "<s>", "sep": "</s>"}),
    "gpt2": (["<|endoftext|>", "<unk>"], "$A", {"unk": "<unk>", "bos": "<|endoftext|>", "eos": "<|endoftext|>"}),
    "llama": (["<unk>", "<s>", "</s>"], "<s> $A", {"unk": "<unk>", "bos": "<s>", "eos": "</s>"}),
}


def write_tiny_model(folder: Path, kind: str, padding_side: str = "right", layers: int = 3, seed: int = 0) -> Path:
    """Save a random ``kind`` model (hidden size 32) and a word-level fast tokenizer padding on ``padding_side`` to ``folder``."""
    import torch

    tokenizer = _tokenizer(kind, padding_side)
    vocab = tokenizer.get_vocab()
    ids = {role: vocab[token] for role, token in _SPECIALS[kind][2].items()}
    torch.manual_seed(seed)
    _model(kind, len(vocab), layers, ids).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return Path(folder)


def _tokenizer(kind: str, padding_side: str):
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast

    specials, template, roles = _SPECIALS[kind]
    vocab = {token: number for number, token in enumerate(dict.fromkeys([*specials, *PUNCTUATION, *WORDS]))}
    backend = Tokenizer(models.WordLevel(vocab, unk_token=roles["unk"]))
    backend.normalizer = normalizers.Lowercase()
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    used = [token for token in specials if token in template]
    backend.post_processor = processors.TemplateProcessing(single=template, special_tokens=[(t, vocab[t]) for t in used])
    inputs = ["input_ids", "token_type_ids", "attention_mask"] if kind == "bert" else ["input_ids", "attention_mask"]
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        padding_side=padding_side,
        model_input_names=inputs,
        **{f"{role}_token": token for role, token in roles.items()},
    )


def _model(kind: str, vocab_size: int, layers: int, ids: dict):
    from transformers import BertConfig, BertModel, GPT2Config, GPT2Model, LlamaConfig, LlamaModel, RobertaConfig, RobertaModel

    encoder = {"hidden_size": 32, "num_hidden_layers": layers, "num_attention_heads": 2, "intermediate_size": 64}
    if kind == "bert":
        return BertModel(BertConfig(vocab_size=vocab_size, max_position_embeddings=64, pad_token_id=ids["pad"], **encoder))
    if kind == "roberta":
        config = RobertaConfig(
            vocab_size=vocab_size, max_position_embeddings=66, type_vocab_size=1, pad_token_id=ids["pad"], **encoder
        )
        return RobertaModel(config)
    if kind == "gpt2":
        config = GPT2Config(
            vocab_size=vocab_size,
            n_embd=32,
            n_layer=layers,
            n_head=2,
            n_positions=64,
            bos_token_id=ids["bos"],
            eos_token_id=ids["eos"],
        )
        return GPT2Model(config)
    config = LlamaConfig(
        vocab_size=vocab_size,
        num_key_value_heads=1,
        max_position_embeddings=64,
        bos_token_id=ids["bos"],
        eos_token_id=ids["eos"],
        **encoder,
    )
    return LlamaModel(config)


def write_bert_like(folder: Path, kind: str, tokenizer_folder: Path, layers: int = 2, **extra) -> Path:
    """Save a random model of the ``transformers`` family ``kind`` (hidden size 32) with the tokenizer saved in
    ``tokenizer_folder``; its layer norms are random too, so that a norm applied or left out shows."""
    import torch
    from transformers import AutoConfig, AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_folder)
    sizes = {"hidden_size": 32, "num_hidden_layers": layers, "num_attention_heads": 2, "intermediate_size": 64}
    config = AutoConfig.for_model(
        kind, vocab_size=len(tokenizer), max_position_embeddings=128, pad_token_id=tokenizer.pad_token_id, **sizes, **extra
    )
    torch.manual_seed(0)
    model = AutoModel.from_config(config)
    for norm in (module for module in model.modules() if isinstance(module, torch.nn.LayerNorm)):
        torch.nn.init.normal_(norm.weight, 1, 0.5)
        torch.nn.init.normal_(norm.bias, 0, 0.5)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return Path(folder)
