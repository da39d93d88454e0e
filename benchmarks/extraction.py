"""Extraction throughput: illusion's transformer layer against sentence-transformers and a plain loop.

Same model, same sentences, same batch size, one process, rounds taken in turn. Run:
    python benchmarks/extraction.py [--device cpu|cuda] [--n 2000] [--rounds 3]
Prints a table and writes benchmarks/results/extraction-DEVICE.json (or --out).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from common import corpus, load, machine, matmul_peak, save, table

from illusion.common.hardware import native_bf16
from illusion.plugins.model_files import bundled_model_dir
from illusion.plugins.transformer import TransformerLayer


def illusion_encoder(model: str, device: str, dtype: str, batch: int, length: int) -> Callable[[Sequence[str]], np.ndarray]:
    layer = TransformerLayer(model, -1, "mean", device, dtype, batch, length, download=False)
    return layer.encode


def sentence_transformers_encoder(model: str, device: str, dtype: str, batch: int, length: int):
    import torch
    from sentence_transformers import SentenceTransformer

    encoder = SentenceTransformer(model, device=device, model_kwargs={"dtype": getattr(torch, dtype)})
    encoder.max_seq_length = length
    return lambda texts: encoder.encode(list(texts), batch_size=batch, convert_to_numpy=True, show_progress_bar=False)


def fixed_padding_encoder(model: str, device: str, dtype: str, batch: int, length: int):
    """The loop most scripts write: every batch padded to max_length, all layers, mean pooling."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model)
    network = AutoModel.from_pretrained(model, dtype=getattr(torch, dtype)).to(device).eval()

    def encode(texts: Sequence[str]) -> np.ndarray:
        out = []
        for start in range(0, len(texts), batch):
            inputs = tokenizer(
                list(texts[start : start + batch]), padding="max_length", truncation=True, max_length=length, return_tensors="pt"
            ).to(device)
            with torch.no_grad():
                hidden = network(**inputs).last_hidden_state
            mask = inputs["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            out.append(((hidden * mask).sum(1) / mask.sum(1)).float().cpu().numpy())
        return np.concatenate(out)

    return encode


def flops_per_sentence(model: str, lengths: np.ndarray) -> np.ndarray:
    """Multiply-add FLOPs of an encoder pass over sequences of these token lengths (projections, FFN, attention)."""
    config = json.loads((Path(model) / "config.json").read_text())
    h, i, layers = config["hidden_size"], config["intermediate_size"], config["num_hidden_layers"]
    return layers * (2 * lengths * (4 * h * h + 2 * h * i) + 4 * lengths**2 * h)


def top_slots_kept(vectors: np.ndarray, reference: np.ndarray, directions: int = 1000, k: int = 10) -> float:
    """Share of the top-k and bottom-k slots of random directions that ``vectors`` fill with the same sentences as ``reference``."""
    found = np.random.default_rng(0).standard_normal((directions, vectors.shape[1])).astype(np.float32)
    kept = 0
    for scores, truth in ((found @ vectors.T, found @ reference.T), (-(found @ vectors.T), -(found @ reference.T))):
        ours, theirs = np.argsort(-scores, axis=1)[:, :k], np.argsort(-truth, axis=1)[:, :k]
        kept += sum(len(set(a) & set(b)) for a, b in zip(ours, theirs))
    return kept / (2 * directions * k)


def contestants(device: str) -> list[tuple[str, Callable, str]]:
    """(name, factory, dtype): on CUDA illusion runs in its default float16, and each peer in float32 and float16;
    on a CPU with native bfloat16 both also run in bfloat16."""
    if device == "cpu":
        half = (
            [
                ("illusion bfloat16", illusion_encoder, "bfloat16"),
                ("sentence-transformers bfloat16", sentence_transformers_encoder, "bfloat16"),
            ]
            if native_bf16()
            else []
        )
        return [
            ("illusion", illusion_encoder, "float32"),
            ("sentence-transformers", sentence_transformers_encoder, "float32"),
            *half,
            ("transformers, fixed padding", fixed_padding_encoder, "float32"),
        ]
    return [
        ("illusion", illusion_encoder, "float16"),
        ("illusion float32", illusion_encoder, "float32"),
        ("sentence-transformers", sentence_transformers_encoder, "float32"),
        ("sentence-transformers float16", sentence_transformers_encoder, "float16"),
        ("transformers, fixed padding", fixed_padding_encoder, "float32"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--n", type=int, default=2000, help="sentences per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--model", help="model folder (default: the bundled all-MiniLM-L6-v2)")
    parser.add_argument("--sentences", help="a text file of sentences, one a line (default: the embedded Wikipedia leads)")
    parser.add_argument("--out", help="JSON file or folder to write")
    args = parser.parse_args()

    import torch

    args.model = args.model or str(bundled_model_dir("all-MiniLM-L6-v2"))
    texts = corpus(args.n, args.sentences)
    info = machine(args.device)
    sync = torch.cuda.synchronize if args.device == "cuda" else (lambda: None)
    peaks = {
        dtype: matmul_peak(args.device, dtype)
        for dtype in (
            ("float32", "bfloat16")
            if args.device == "cpu" and native_bf16()
            else ("float32",)
            if args.device == "cpu"
            else ("float32", "float16")
        )
    }
    encoders = {
        name: (factory(args.model, args.device, dtype, args.batch_size, args.max_length), dtype)
        for name, factory, dtype in contestants(args.device)
    }
    outputs: dict[str, np.ndarray] = {}
    for encode, _ in encoders.values():
        encode(texts[: 4 * args.batch_size])  # warm-up
        sync()
    seconds: dict[str, list[float]] = {name: [] for name in encoders}
    loads = []
    for round_number in range(args.rounds):
        names = list(encoders)
        for name in names[round_number % len(names) :] + names[: round_number % len(names)]:
            start = time.perf_counter()
            outputs[name] = np.asarray(encoders[name][0](texts))
            sync()
            seconds[name].append(time.perf_counter() - start)
        loads.append(load())

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    lengths = np.array([len(ids) for ids in tokenizer(texts, truncation=True, max_length=args.max_length)["input_ids"]])
    useful = float(flops_per_sentence(args.model, lengths).sum())
    reference = outputs["sentence-transformers"]
    rows = []
    for name, (_, dtype) in encoders.items():
        rate = len(texts) / statistics.median(seconds[name])
        unit = outputs[name] / np.linalg.norm(outputs[name], axis=1, keepdims=True)
        rows.append(
            {
                "contestant": name,
                "dtype": dtype,
                "sentences_per_s": round(rate, 1),
                "best_round_sentences_per_s": round(len(texts) / min(seconds[name]), 1),
                "seconds": [round(s, 3) for s in seconds[name]],
                "useful_gflop_per_s": round(useful * rate / len(texts) / 1e9, 1),
                "share_of_matmul_peak": round(useful * rate / len(texts) / 1e9 / peaks[dtype], 3),
                "min_cosine_to_sentence_transformers": round(float((unit * reference).sum(1).min()), 4),
            }
        )
    ours = {row["dtype"]: row["sentences_per_s"] for row in rows if row["contestant"].startswith("illusion")}
    fastest = max(ours.values())
    for row in rows:
        row["illusion_ratio"] = round(ours.get(row["dtype"], ours["float32"]) / row["sentences_per_s"], 2)
        row["fastest_illusion_ratio"] = round(fastest / row["sentences_per_s"], 2)
        if row["dtype"] == "bfloat16":
            full = "illusion" if row["contestant"].startswith("illusion") else "sentence-transformers"
            row["top10_kept_vs_float32"] = round(top_slots_kept(outputs[row["contestant"]], outputs[full]), 4)
    results = {
        "benchmark": "extraction",
        "device": args.device,
        "machine": info,
        "load_per_round": loads,
        "sentences": len(texts),
        "tokens_mean": round(float(lengths.mean()), 1),
        "batch_size": args.batch_size,
        "max_length": args.max_length,
        "model": args.model,
        "matmul_peak_gflop_per_s": {k: round(v, 1) for k, v in peaks.items()},
        "gflop_per_sentence": round(useful / len(texts) / 1e9, 4),
        "rows": rows,
    }
    path = save(f"extraction-{args.device}", results, args.out)
    print(
        table(
            rows,
            [
                "contestant",
                "dtype",
                "sentences_per_s",
                "best_round_sentences_per_s",
                "illusion_ratio",
                "fastest_illusion_ratio",
                "top10_kept_vs_float32",
                "useful_gflop_per_s",
                "share_of_matmul_peak",
                "min_cosine_to_sentence_transformers",
            ],
        )
    )
    print(
        f"{len(texts)} sentences, {args.rounds} rounds (median), batch {args.batch_size}; matmul peak "
        + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in peaks.items())
        + f"; load {info['load_at_start']} -> {load()}; {path}"
    )


if __name__ == "__main__":
    main()
