"""Extraction throughput: illusion's transformer layer against sentence-transformers, ONNX Runtime, OpenVINO and a plain loop.

Same model, same sentences, same batch size, same pooling, one process, rounds taken in turn. ONNX Runtime and
OpenVINO run the model exported to ONNX on a CPU, where ``onnx`` and they are installed. Run:
    python benchmarks/extraction.py [--device cpu|cuda] [--n 2000] [--rounds 3] [--pooling cls mean]
Prints a table and writes benchmarks/results/extraction-DEVICE.json (or --out). Each precision
other than float32 is scored by the top-10 slots it keeps against the same program's float32;
"fastest" ratios compare the fastest configurations that keep at least 99% of them.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from pathlib import Path

import numpy as np
from common import corpus, load, machine, matmul_peak, save, table

from illusion.common.hardware import native_bf16
from illusion.plugins.model_files import bundled_model_dir
from illusion.plugins.openvino_pass import HINTS
from illusion.plugins.transformer import TransformerLayer, _matmul_precision

KEEPS = 0.99  # share of float32's top-10 slots a faster precision must keep to count as giving the same answers


def illusion_encoder(
    model: str, device: str, dtype: str, batch: int, length: int, pooling: str, runtime: str = "torch"
) -> Callable[[Sequence[str]], np.ndarray]:
    layer = TransformerLayer(model, -1, pooling, device, dtype, batch, length, download=False, runtime=runtime)
    return layer.encode


def illusion_openvino_encoder(model: str, device: str, dtype: str, batch: int, length: int, pooling: str):
    """illusion's transformer layer with ``runtime = "openvino"``."""
    return illusion_encoder(model, device, dtype, batch, length, pooling, runtime="openvino")


def sentence_transformers_encoder(model: str, device: str, dtype: str, batch: int, length: int, pooling: str):
    """sentence-transformers with the same pooling; ``mixed`` is float32 with bfloat16 matrix products and eager
    attention, as illusion runs it (the process-wide torch setting is made only around its own calls)."""
    import torch
    from sentence_transformers import SentenceTransformer, models

    mixed = dtype == "mixed"
    options = {"dtype": torch.float32 if mixed else getattr(torch, dtype), **({"attn_implementation": "eager"} if mixed else {})}
    body = models.Transformer(model, max_seq_length=length, model_kwargs=options)
    encoder = SentenceTransformer(modules=[body, models.Pooling(body.get_embedding_dimension(), pooling)], device=device)

    def encode(texts: Sequence[str]) -> np.ndarray:
        with _matmul_precision("bf16") if mixed else nullcontext():
            return encoder.encode(list(texts), batch_size=batch, convert_to_numpy=True, show_progress_bar=False)

    return encode


@functools.cache
def onnx_file(model: str, names: tuple[str, ...]) -> Path:
    """The model exported to ONNX (float32; inputs ``names``, output its last hidden state), once per process."""
    import torch
    from transformers import AutoModel

    network = AutoModel.from_pretrained(model).eval()

    class Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.network = network

        def forward(self, *inputs):
            return self.network(**dict(zip(names, inputs))).last_hidden_state

    path = Path(tempfile.mkdtemp()) / "model.onnx"
    example = tuple(torch.ones(2, 8, dtype=torch.int64) for _ in names)
    axes = {name: {0: "batch", 1: "tokens"} for name in [*names, "hidden"]}
    torch.onnx.export(Hidden(), example, path, input_names=list(names), output_names=["hidden"], dynamic_axes=axes, dynamo=False)
    return path


def exported_encoder(model: str, batch: int, length: int, pooling: str, runtime: Callable[[Path], Callable]):
    """An encoder running the exported model with ``runtime`` (the ONNX file to a function of a batch's arrays that
    gives its last hidden state), fed illusion's own tokenised, length-sorted batches, so that only the running
    of the network differs; pooled in NumPy."""
    feed = TransformerLayer(model, -1, pooling, "cpu", "float32", batch, length, download=False)  # its batches only
    hidden_of = runtime(onnx_file(model, tuple(next(feed._batches(["an example sentence"]))[2])))

    def encode(texts: Sequence[str]) -> np.ndarray:
        out = np.empty((len(texts), feed.dim), dtype=np.float32)
        for rows, _, inputs in feed._batches(texts):
            arrays = {name: value.numpy() for name, value in inputs.items()}
            hidden = hidden_of(arrays)
            mask = arrays["attention_mask"][..., None].astype(np.float32)
            out[rows] = (hidden * mask).sum(1) / mask.sum(1) if pooling == "mean" else hidden[:, 0]
        return out

    return encode


def onnx_runtime_encoder(model: str, device: str, dtype: str, batch: int, length: int, pooling: str):
    """ONNX Runtime (float32 on the CPU, all its graph optimisations, as many threads as torch)."""
    import onnxruntime
    import torch

    def runtime(path: Path) -> Callable:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = torch.get_num_threads(), 1
        session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        return lambda arrays: session.run(None, arrays)[0]

    return exported_encoder(model, batch, length, pooling, runtime)


def openvino_encoder(model: str, device: str, dtype: str, batch: int, length: int, pooling: str):
    """OpenVINO on the CPU, in ``dtype`` (its inference precision: float32, or bfloat16 on a CPU with native
    bfloat16), as many threads as torch."""
    import openvino
    import torch

    def runtime(path: Path) -> Callable:
        settings = {"INFERENCE_PRECISION_HINT": HINTS[dtype], "INFERENCE_NUM_THREADS": torch.get_num_threads()}
        compiled = openvino.Core().compile_model(str(path), "CPU", settings)
        return lambda arrays: compiled(arrays)[0]

    return exported_encoder(model, batch, length, pooling, runtime)


def fixed_padding_encoder(model: str, device: str, dtype: str, batch: int, length: int, pooling: str):
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


def contestants(device: str, poolings: Sequence[str]) -> list[tuple[str, Callable, str, str]]:
    """(name, factory, dtype, pooling): illusion and sentence-transformers in each pooling and precision (on CUDA:
    float32 and float16; on a CPU: float32, and where it has native bfloat16 also ``mixed``, bfloat16 matrix
    products, and bfloat16); on a CPU where they are installed, in each pooling, ONNX Runtime (float32), and
    OpenVINO and illusion's OpenVINO runtime (float32, and bfloat16 where native); the fixed-padding loop (mean)."""
    dtypes = ("float32", "float16") if device == "cuda" else ("float32", "mixed", "bfloat16") if native_bf16() else ("float32",)
    found = [
        (f"{program} {pooling} {dtype}", factory, dtype, pooling)
        for pooling in poolings
        for dtype in dtypes
        for program, factory in (("illusion", illusion_encoder), ("sentence-transformers", sentence_transformers_encoder))
    ]
    runtimes = [(f"onnxruntime {pooling} float32", onnx_runtime_encoder, "float32", pooling) for pooling in poolings]
    runtimes += [
        (f"{program} {pooling} {dtype}", factory, dtype, pooling)
        for pooling in poolings
        for dtype in ("float32", "bfloat16")
        if dtype == "float32" or native_bf16()
        for program, factory in (("illusion-openvino", illusion_openvino_encoder), ("openvino", openvino_encoder))
    ]
    installed = {name: importlib.util.find_spec(name) is not None for name in ("onnx", "onnxruntime", "openvino")}
    needs = {"onnxruntime": ("onnx", "onnxruntime"), "openvino": ("onnx", "openvino"), "illusion-openvino": ("openvino",)}
    for program, packages in needs.items():
        if device == "cuda" or not all(installed[name] for name in packages):
            print(f"{program} left out: it runs on a CPU here, with {' and '.join(packages)} installed")
            runtimes = [row for row in runtimes if not row[0].startswith(program)]
    loop = [("transformers, fixed padding, mean float32", fixed_padding_encoder, "float32", "mean")] if "mean" in poolings else []
    return [*found, *runtimes, *loop]


def fastest_ratios(rows: list[dict]) -> dict[str, dict]:
    """Fill each row's speed against the other program's in the same pooling and precision (``illusion_ratio``) and
    against illusion's fastest configuration that keeps the answers (``fastest_illusion_ratio``); return, per
    pooling, that fastest illusion against the fastest peer that keeps them (any program, and sentence-transformers
    alone) and against the fastest peer of all."""
    headline = {}
    for pooling in dict.fromkeys(row["pooling"] for row in rows):
        mine = [row for row in rows if row["pooling"] == pooling]
        keeps = [row for row in mine if row.get("top10_kept_vs_float32", 1) >= KEEPS]
        ours = max((row for row in keeps if row["contestant"].startswith("illusion")), key=lambda row: row["sentences_per_s"])
        for row in mine:
            other = next((r for r in mine if r["dtype"] == row["dtype"] and r["contestant"].startswith("illusion")), row)
            row["illusion_ratio"] = round(other["sentences_per_s"] / row["sentences_per_s"], 2)
            row["fastest_illusion_ratio"] = round(ours["sentences_per_s"] / row["sentences_per_s"], 2)
        line = {"illusion": ours["contestant"]}
        for name, program in (("peer", ""), ("sentence_transformers", "sentence-transformers")):
            peers = [
                row for row in mine if row["contestant"].startswith(program) and not row["contestant"].startswith("illusion")
            ]
            keeping = max((row for row in peers if row in keeps), key=lambda row: row["sentences_per_s"])
            fastest = max(peers, key=lambda row: row["sentences_per_s"])
            line |= {
                f"{name}_keeping_the_answers": keeping["contestant"],
                f"ratio_to_{name}_keeping_the_answers": keeping["fastest_illusion_ratio"],
                f"{name}_fastest": fastest["contestant"],
                f"ratio_to_{name}_fastest": fastest["fastest_illusion_ratio"],
            }
        headline[pooling] = line
    return headline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--n", type=int, default=2000, help="sentences per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pooling", nargs="+", default=["cls", "mean"], choices=("cls", "mean"))
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
        name: (factory(args.model, args.device, dtype, args.batch_size, args.max_length, pooling), dtype, pooling)
        for name, factory, dtype, pooling in contestants(args.device, args.pooling)
    }
    outputs: dict[str, np.ndarray] = {}
    for encode, *_ in encoders.values():
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
    reference = {pooling: outputs[f"sentence-transformers {pooling} float32"] for pooling in {p for _, _, p in encoders.values()}}
    rows = []
    for name, (_, dtype, pooling) in encoders.items():
        rate = len(texts) / statistics.median(seconds[name])
        unit = outputs[name] / np.linalg.norm(outputs[name], axis=1, keepdims=True)
        truth = reference[pooling] / np.linalg.norm(reference[pooling], axis=1, keepdims=True)
        row = {
            "contestant": name,
            "pooling": pooling,
            "dtype": dtype,
            "sentences_per_s": round(rate, 1),
            "best_round_sentences_per_s": round(len(texts) / min(seconds[name]), 1),
            "seconds": [round(s, 3) for s in seconds[name]],
            "useful_gflop_per_s": round(useful * rate / len(texts) / 1e9, 1),
            "share_of_matmul_peak": round(useful * rate / len(texts) / 1e9 / peaks["bfloat16" if dtype == "mixed" else dtype], 3),
            "min_cosine_to_sentence_transformers": round(float((unit * truth).sum(1).min()), 4),
        }
        if dtype != "float32":
            full = outputs[name.replace(dtype, "float32")]
            row["top10_kept_vs_float32"] = round(top_slots_kept(outputs[name], full), 4)
        rows.append(row)
    headline = fastest_ratios(rows)
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
        "fastest_keeping_the_answers": headline,
    }
    path = save(f"extraction-{args.device}", results, args.out)
    print(
        table(
            rows,
            [
                "contestant",
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
    for pooling, line in headline.items():
        for name in ("peer", "sentence_transformers"):
            print(
                f"{pooling}: {line['illusion']} is {line[f'ratio_to_{name}_keeping_the_answers']}x "
                f"{line[f'{name}_keeping_the_answers']}, the fastest {name.replace('_', '-')} that keeps {KEEPS:.0%} of "
                f"float32's top-10 slots, and {line[f'ratio_to_{name}_fastest']}x the fastest of all, {line[f'{name}_fastest']}"
            )
    print(
        f"{len(texts)} sentences, {args.rounds} rounds (median), batch {args.batch_size}; matmul peak "
        + ", ".join(f"{k} {v:.0f} GFLOP/s" for k, v in peaks.items())
        + f"; load {info['load_at_start']} -> {load()}; {path}"
    )


if __name__ == "__main__":
    main()
