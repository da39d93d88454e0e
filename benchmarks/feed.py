"""The CPU side of extraction: sentences tokenised, padded and handed over as tensors per second, no model run.

This is what bounds extraction on a fast GPU. The peer is what sentence-transformers does: the
tokenizer called on each batch with padding, returning tensors. Side by side, rounds in turn. Run:
    python benchmarks/feed.py [--n 20000] [--rounds 3] [--batch-size 256]
Prints the rate and writes benchmarks/results/feed.json (or --out).
"""

from __future__ import annotations

import argparse
import statistics
import time

from common import corpus, load, machine, report

from illusion.plugins.transformer import TransformerLayer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--sentences", help="a text file of sentences, one a line (default: the embedded Wikipedia leads)")
    parser.add_argument("--out", help="JSON file or folder to write")
    args = parser.parse_args()

    texts = corpus(args.n, args.sentences)
    info = machine()
    layer = TransformerLayer("all-MiniLM-L6-v2", -1, "mean", "cpu", "float32", args.batch_size, args.max_length, download=False)
    tokenizer = layer.tokenizer

    def illusion() -> None:
        for _rows, _encoded, batch in layer._batches(texts):
            batch["input_ids"].sum()  # touch the tensors

    def per_batch() -> None:
        for start in range(0, len(texts), args.batch_size):
            batch = tokenizer(
                texts[start : start + args.batch_size],
                padding=True,
                truncation=True,
                max_length=args.max_length,
                return_tensors="pt",
            )
            batch["input_ids"].sum()

    feeds = {"illusion": illusion, "tokenizer per batch": per_batch}
    rates: dict[str, list[float]] = {name: [] for name in feeds}
    loads = []
    for _ in range(args.rounds):
        for name, feed in feeds.items():
            start = time.perf_counter()
            feed()
            rates[name].append(len(texts) / (time.perf_counter() - start))
        loads.append(load())
    rows = [
        {"feed": name, "sentences_per_s": round(statistics.median(r)), "rates": [round(x) for x in r]}
        for name, r in rates.items()
    ]
    note = f"sentences/s tokenised and padded, median of {args.rounds} rounds; load {', '.join(loads)}"
    figures = {"sentences": len(texts), "batch_size": args.batch_size, "load_per_round": loads}
    report("feed", info, rows, ["feed", "sentences_per_s", "rates"], args.out, note, **figures)


if __name__ == "__main__":
    main()
