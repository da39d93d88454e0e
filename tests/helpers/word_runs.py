"""Two small word-salad datasets for end-to-end runs on the tiny BERT, and the CLI as a function."""

import numpy as np

from illusion.cli import main

WORDS = {
    "animals": ["the", "a", "cat", "dog", "sat", "on", "mat", "in", "was", "and"],
    "scripture": ["god", "said", "let", "there", "be", "light", "king", "war", "love", "and", "the"],
}


def word_sentences(per_dataset: int = 60, seed: int = 0) -> dict[str, list[str]]:
    """Dataset name -> seeded sentences of 4 to 8 of its words."""
    rng = np.random.default_rng(seed)
    return {
        name: [" ".join(rng.choice(words, size=rng.integers(4, 9))) + "." for _ in range(per_dataset)]
        for name, words in WORDS.items()
    }


def cli(*args) -> int:
    """Exit status of ``illusion ARGS``."""
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        return exc.code
    return 0
