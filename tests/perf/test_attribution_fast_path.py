"""The bundled MiniLM's driving tokens from the fast path (kept states, the last block at [CLS] alone) are those of
the whole block by autograd, on the embedded default's sentences."""

from __future__ import annotations

import numpy as np
import pytest

from illusion.host import Host
from illusion.run.config import load_config
from illusion.run.pipeline import load_dataset

pytestmark = pytest.mark.slow


def test_the_fast_path_marks_the_tokens_the_whole_block_marks_on_minilm():
    host, config = Host(), load_config(None, [])
    texts = [record.text for record in load_dataset(host, config.datasets[0], config).records][:300]
    wanted = np.random.default_rng(0).normal(size=(len(texts), 3, 384)).astype(np.float32)
    fast, whole = (host.get("model layer", "transformer").create({}) for _ in range(2))
    fast.encode(texts)
    whole._checked_row_block = False
    found, expected = fast.attribute(texts, list(wanted)), whole.attribute(texts, list(wanted))
    assert fast._checked_row_block is not False and not fast.kept.states  # the fast path ran, on the kept states
    for one, other in zip(found, expected):
        scale = np.abs(other.shares).max()
        np.testing.assert_allclose(one.shares, other.shares, atol=1e-4 * scale)
        for column in range(3):
            for sign in (1.0, -1.0):
                assert one.strongest(column, sign) == other.strongest(column, sign)
