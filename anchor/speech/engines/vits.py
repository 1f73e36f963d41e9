"""A ``transformers`` VITS model from a local folder (the ``neural`` extra: torch + transformers).

The preset's ``model`` is a folder written by ``save_pretrained`` (``config.json``,
``model.safetensors``, the tokenizer's ``vocab.json`` and ``tokenizer_config.json``),
e.g. a MMS-TTS or a newsroom's own fine-tuned voice.  Nothing is fetched: the hub
is switched off and only local files are read.

Input: the tokenizer's vocabulary decides what the model reads.  If it holds the
script's characters, they go in as they are (lower-cased if the vocabulary is);
a Chinese script for a vocabulary without Chinese characters goes in as
tone-numbered pinyin from anchor's front end (station lexicon included), one
space-separated syllable group per character.  Characters the vocabulary lacks
are left out; with ``add_blank`` a blank goes between symbols, as in training.

Timing: the model's duration predictor gives frames per input symbol; they are
read from the forward pass (a hook on the predictor) and turned into frames
exactly as ``VitsModel`` does (``ceil(exp(log_duration) * length_scale)``), one
frame being ``prod(upsample_rates)`` samples, so the tokens sum to the audio.
The noise of the stochastic predictor and the prior is seeded per call, so the
same text always sounds the same (and the speech cache stays valid).
"""

from __future__ import annotations

import os
import threading

import numpy as np

from ..timeline import Token
from .base import (
    MISSING, READY, Availability, EngineFailed, EngineResult, EngineUnavailable, model_file, package_missing,
    spoken_units, unit_spans, zh_syllables,
)

SEED = 1234
_NEEDED = ("config.json",)
_HINT_ZH = "请把 transformers 的 VITS 模型文件夹（config.json、model.safetensors、vocab.json）放到该位置"
_HINT_EN = "Put a transformers VITS model folder (config.json, model.safetensors, vocab.json) there"


class VitsEngine:
    name = "vits"

    @staticmethod
    def check(preset) -> Availability:
        missing = package_missing("torch", "transformers")
        if missing:
            return Availability(MISSING, f"未安装 {missing}（pip install 'anchor[neural]'）/ "
                                         f"{missing} is not installed (pip install 'anchor[neural]')")
        path = preset.model_path()
        if path is None or not all((path / name).is_file() for name in _NEEDED):
            return Availability(MISSING, f"缺少模型文件夹 {path}：{_HINT_ZH} / missing model folder {path}: {_HINT_EN}")
        return Availability(READY, str(path))

    def __init__(self):
        for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
            os.environ[variable] = "1"  # never reach a hub, whatever the model folder says
        try:
            import torch  # noqa: F401
            import transformers  # noqa: F401
        except ImportError as e:
            raise EngineUnavailable(f"VITS 需要 torch 与 transformers（pip install 'anchor[neural]'）：{e}",
                                    f"VITS needs torch and transformers (pip install 'anchor[neural]'): {e}") from e
        self._models: dict[str, tuple] = {}
        self._lock = threading.Lock()

    def _load(self, preset):
        path = model_file(preset, "VITS 模型文件夹", _HINT_ZH, _HINT_EN)
        if not (path / "config.json").is_file():
            raise EngineUnavailable(f"{path} 不是 VITS 模型文件夹（缺少 config.json）",
                                    f"{path} is not a VITS model folder (no config.json)")
        key = str(path)
        with self._lock:
            if key not in self._models:
                from transformers import VitsModel, VitsTokenizer
                from transformers.utils import logging as hf_logging

                hf_logging.set_verbosity_error()
                hf_logging.disable_progress_bar()
                try:
                    model = VitsModel.from_pretrained(path, local_files_only=True).eval()
                    tokenizer = VitsTokenizer.from_pretrained(path, local_files_only=True)
                except Exception as e:
                    raise EngineUnavailable(f"VITS 模型无法加载：{path}（{e}）", f"cannot load the VITS model {path}: {e}") from e
                self._models[key] = (model, tokenizer, _Durations(model))
            return self._models[key]

    def synthesize(self, text: str, preset) -> EngineResult:
        import torch

        model, tokenizer, durations = self._load(preset)
        ids, owners, names = _symbols(text, preset, tokenizer)
        if not names:
            return EngineResult(np.zeros(0, np.float32), model.config.sampling_rate, [], [])
        if not any(o >= 0 for o in owners):
            raise EngineFailed("VITS 模型的词表不包含这段文字的任何字符", "the VITS model's vocabulary has none of this text's characters")
        rate = max(0.5, min(2.0, float(preset.rate or 1.0)))
        try:
            with self._lock, torch.no_grad():
                torch.manual_seed(SEED)
                durations.frames = None
                out = model(input_ids=torch.tensor([ids]), speaking_rate=rate)
                frames = durations.frames
        except Exception as e:
            raise EngineFailed(f"VITS 合成失败：{e}", f"VITS failed to synthesise: {e}") from e
        if frames is None or len(frames) != len(ids):
            raise EngineFailed("VITS 没有给出时长", "the VITS model gave no durations")
        audio = out.waveform[0].numpy().astype(np.float32) * float(preset.volume)
        hop = int(np.prod(model.config.upsample_rates))
        sr = int(model.config.sampling_rate)
        edges = np.concatenate([[0], np.cumsum(frames)]) * hop / sr
        end = len(audio) / sr
        tokens = []
        for unit, name in enumerate(names):
            mine = [i for i, o in enumerate(owners) if o == unit]
            if mine:
                tokens.append(Token(name, float(min(edges[mine[0]], end)), float(min(edges[mine[-1] + 1], end))))
            else:
                at = tokens[-1].end if tokens else 0.0
                tokens.append(Token(name, at, at))
        return EngineResult(np.clip(audio, -1.0, 1.0), sr, tokens, [])


class _Durations:
    """Frames per input symbol, as ``VitsModel.forward`` computes them, caught from its duration predictor."""

    def __init__(self, model):
        self.frames = None
        self._model = model
        model.duration_predictor.register_forward_hook(self._hook)
        self._rate = 1.0
        model.register_forward_pre_hook(self._note_rate, with_kwargs=True)

    def _note_rate(self, module, args, kwargs):
        rate = kwargs.get("speaking_rate")
        self._rate = float(rate if rate is not None else self._model.speaking_rate)

    def _hook(self, module, args, output):
        import torch

        log_duration = output[0] if isinstance(output, tuple) else output
        mask = args[1]
        frames = torch.ceil(torch.exp(log_duration) * mask * (1.0 / self._rate))
        self.frames = frames[0, 0].to(torch.int64).numpy()


def _symbols(text: str, preset, tokenizer) -> tuple[list[int], list[int], list[str]]:
    """Input ids for ``text``, the spoken unit each id belongs to (-1: none), and the units."""
    vocab = tokenizer.get_vocab()
    language = preset.language
    names = spoken_units(text, language)
    lower = not any(ch.isupper() for ch in vocab if len(ch) == 1)
    if language == "zh" and not any(len(ch) == 1 and "\u4e00" <= ch <= "\u9fff" for ch in vocab):
        # a pinyin model: one syllable group per character, spaces between
        readings = zh_syllables(text, preset.lexicon_entries())
        pieces = [(" ".join(syllables) if syllables else "", k) for k, (_, syllables) in enumerate(readings)]
        stream: list[tuple[str, int]] = []
        for piece, unit in pieces:
            if stream:
                stream.append((" ", -1))
            stream += [(ch, unit) for ch in piece]
    else:
        owner = {}
        for unit, (a, b) in enumerate(unit_spans(text, language)):
            for i in range(a, b):
                owner[i] = unit
        stream = [(ch, owner.get(i, -1)) for i, ch in enumerate(text)]
    ids, owners = [], []
    blank = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    for ch, unit in stream:
        ch = ch.lower() if lower else ch
        if ch not in vocab:
            continue
        if getattr(tokenizer, "add_blank", False):
            ids.append(blank)
            owners.append(unit if owners and owners[-1] == unit else -1)
        ids.append(vocab[ch])
        owners.append(unit)
    if getattr(tokenizer, "add_blank", False):
        ids.append(blank)
        owners.append(-1)
    return ids, owners, names
