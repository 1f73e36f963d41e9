"""The speech stage: a script's body -> loudness-normalised 48 kHz audio + a :class:`Timeline`.

1. The body (not the title, which is shown as a banner) is split into phrases at
   Chinese/English punctuation and at the producer's pause marks (``[停顿]``,
   ``[停顿 1.5秒]``, ``[pause 2s]``), each kept under ~32 Chinese characters / ~80
   Latin characters; each phrase keeps its text as written (``display``, for
   subtitles) and gets its normalised reading (``spoken``, :mod:`anchor.speech.normalize`,
   then the station lexicon's English respellings).  Emoji and symbols no voice
   can say are dropped with a warning.
2. Phrases are synthesised a sentence at a time (better prosody than phrase by
   phrase, and memory per call stays bounded); the engine returns one token per
   spoken character/word with its own timing, and the phrase boundaries are
   recovered from those tokens.  Audio goes to a temporary file as it is made,
   and loudness normalisation works block by block into the cache file, so a
   10,000-character script needs no more memory than a short one.
3. Pauses are real silence of fixed length, measured token to token: 0.12 s after
   a comma, 0.35 s after a sentence, 0.6 s between paragraphs, or what a pause
   mark asks for.  Existing pauses are shortened only where the audio is silent;
   missing ones are inserted at the quietest point, so no speech is ever cut.
4. If the preset's engine cannot load or fails (an online voice with no network
   included), the whole script is spoken with the preset's ``fallback`` and the
   reason is kept in ``Speech.warnings``.
5. The result (audio + timeline) is cached by a hash of everything it depends on
   (the body as written, the preset, the lexicon, the model file, the code's
   version; so a hit skips even text normalisation), in one file written
   under a temporary name and renamed into place: several worker processes can
   share the cache, and a reader sees a whole entry or none.  ``Speech.samples``
   is then a copy-on-write memory map of that file.
6. A script with a ``recording:`` (a producer's own reading, WAV/MP3) uses that
   audio instead of a voice; the ``recording`` engine aligns the text to it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import AnchorError, SpeechError
from ..script import Script
from .engines import ONLINE, EngineFailed, EngineResult, EngineUnavailable, check_preset, get_engine, zh_syllables
from .phrasing import _groups, _Piece, prepare
from .shaping import LEAD, _clamped, _decay, _fade, _onset, _shape_group
from .timbre import shift_voice
from .store import SAMPLE_RATE, Speech, _cache_key, _cache_path, _open_entry, _RawAudio, _store
from .timeline import Phone, Phrase, Timeline, Token
from .visemes import build_visemes
from .voices import VoicePreset, load_voice

log = logging.getLogger(__name__)


def synthesize(script: Script, voice: VoicePreset, progress: Callable[[float], None] | None = None,
               *, cache: bool = True) -> Speech:
    """Speak ``script``'s body with ``voice`` (falling back along the preset's ``fallback`` chain).

    With a ``recording`` in the script, the producer's recording is the speech and
    ``voice`` only sets the loudness target.  ``cache=False`` neither reads nor
    writes the speech cache.
    """
    report = progress or (lambda fraction: None)
    warnings: list[str] = []
    recording = getattr(script, "recording", None)
    if recording:
        voice = VoicePreset(name="recording", engine="recording", language=script.language, model=str(recording),
                            loudness=voice.loudness, lexicon=voice.lexicon)
    preset, tried, fallback = voice, [], None
    while True:
        tried.append(preset.name)
        try:
            speech = _speech_for(script, preset, report, warnings, cache)
            return replace(speech, fallback=fallback) if fallback else speech
        except SpeechError as error:
            if not preset.fallback or preset.fallback in tried:
                if len(tried) > 1:
                    raise type(error)(f"{error.zh}（已尝试：{'、'.join(tried)}）",
                                      f"{error.en} (tried: {', '.join(tried)})") from error
                raise
            nxt = load_voice(preset.fallback, script.language)
            zh, en = unavailable_because(preset, error)
            # the producer's sentence names no server path and no exception; the operator's log keeps those
            log.warning("voice %s (%s) failed, %s spoke instead: %s", preset.name, preset.engine, nxt.name, error.en)
            warnings.append(f"所选语音“{preset.shown('zh')}”{zh}，本条改由“{nxt.shown('zh')}”朗读 / "
                            f"the chosen voice \"{preset.shown('en')}\" {en}; \"{nxt.shown('en')}\" read this clip instead")
            fallback = fallback or {"asked": voice.name, "zh": zh, "en": en}
            fallback = {**fallback, "spoke": nxt.name}
            preset = nxt
            report(0.0)


def load_engine(voice: VoicePreset) -> None:
    """Load ``voice``'s engine (its model) now, once per process, so that the first synthesis does not wait for
    it; a voice that cannot load here raises as :func:`synthesize` would."""
    get_engine(voice.engine)


def unavailable_because(preset: VoicePreset, error: SpeechError) -> tuple[str, str]:
    """Why ``preset`` could not speak, as a producer would be told it (Chinese, English)."""
    if check_preset(preset).state == ONLINE:  # it could speak here, given the internet
        return "需联网，现在连不上在线语音服务", "needs the internet, and the online voice service cannot be reached now"
    if isinstance(error, EngineUnavailable):
        if preset.model:
            return "未安装：本机没有它的语音模型", "is not installed: its voice model is not on this server"
        return "未安装：本机缺少它需要的软件", "is not installed: software it needs is missing on this server"
    return "在本机朗读时出错", "failed on this server"


def _speech_for(script: Script, preset: VoicePreset, report, warnings: list[str], use_cache: bool) -> Speech:
    """From the cache (keyed on the script as written, so a hit costs no text normalisation), or spoken."""
    path = _cache_path(_cache_key(script, preset))
    if use_cache:
        hit = _open_entry(path)
        if hit is not None:
            report(1.0)
            return replace(hit, warnings=hit.warnings + warnings, cached=True)
    notes: list[str] = []  # what the text itself gave rise to (skipped symbols): stored with the entry
    pieces = prepare(script, preset, notes)
    engine = get_engine(preset.engine)
    speech = _speak(pieces, script.language, preset, engine, report, notes, path if use_cache else None)
    return replace(speech, warnings=notes + warnings)


def _speak(pieces: list[_Piece], language: str, preset: VoicePreset, engine, report, warnings,
           path: Path | None) -> Speech:
    whole = getattr(engine, "whole_script", False)
    extra = {"deadline": time.monotonic() + preset.timeout} if getattr(engine, "online", False) else {}
    groups = [list(range(len(pieces)))] if whole else _groups(pieces, language)
    joiner = "\n" if whole else ("" if language == "zh" else " ")
    total = sum(p.units for p in pieces)
    done = 0
    rate = None
    raw = _RawAudio()
    phrases: list[Phrase] = []
    phones: list[Phone] = []
    pending_pause = 0.0  # seconds of pause owed before the next group's first token
    prev_tail = 0  # samples of audio kept after the previous group's last token
    try:
        for gi, group in enumerate(groups):
            text = joiner.join(pieces[i].spoken for i in group)
            try:
                result = engine.synthesize(text, preset, **extra)
            except AnchorError:
                raise
            except Exception as e:  # an engine bug must still read as a speech error
                raise EngineFailed(f"{engine.name} 合成失败：{e}", f"{engine.name} failed to synthesise: {e}") from e
            if preset.shift is not None:  # another speaker made of this voice: same length, same times
                result = replace(result, samples=shift_voice(result.samples, result.sample_rate, preset.shift.pitch,
                                                             preset.shift.formant))
            expected = sum(pieces[i].units for i in group)
            if len(result.tokens) != expected:
                raise EngineFailed(f"{engine.name} 返回的时间信息与文本不符（{len(result.tokens)}/{expected}）",
                                   f"{engine.name} returned {len(result.tokens)} timed units for {expected} in the text")
            if rate is None:
                rate = result.sample_rate
            elif result.sample_rate != rate:
                from ..audio import resample

                result = _resampled(result, rate, resample)
            if whole:
                audio, tokens, group_phones = _split_tokens(result, [pieces[i] for i in group])
            else:
                audio, tokens, group_phones = _shape_group(result, [pieces[i] for i in group])
            sr = rate
            # trim to the group's speech (keep short onset/decay margins) and lay it after the pause
            first, last = tokens[0][0].start, tokens[-1][-1].end
            head = _onset(audio, sr, first)
            tail = _decay(audio, sr, last)
            if gi == len(groups) - 1 and tail > int(round(last * sr)):
                # the script's last token ends where its sound dies away, and so does the audio
                last = tail / sr
                tokens[-1][-1] = replace(tokens[-1][-1], end=last)
            lead_samples = int(round(first * sr)) - head
            gap = 0
            if raw.n:
                gap = max(0, int(round(pending_pause * sr)) - prev_tail - lead_samples)
            elif lead_samples < int(LEAD * sr):
                gap = int(LEAD * sr) - lead_samples
            offset_samples = raw.n + gap - head
            raw.silence(gap)
            body = audio[head:tail].copy()
            _fade(body, sr)
            raw.append(body)
            offset = offset_samples / sr
            for piece, toks in zip((pieces[i] for i in group), tokens):
                shifted = tuple(Token(t.text, t.start + offset, t.end + offset) for t in toks)
                phrases.append(Phrase(piece.display, piece.spoken, shifted[0].start, shifted[-1].end, shifted))
            phones.extend(Phone(p.symbol, p.start + offset, p.end + offset) for p in group_phones
                          if head / sr - 1e-3 <= p.start and p.end <= tail / sr + 1e-3)
            pending_pause = pieces[group[-1]].pause_after
            prev_tail = tail - int(round(last * sr))
            done += expected
            report(min(0.95, 0.95 * done / max(total, 1)))
        if not raw.n:
            raise EngineFailed(f"{engine.name} 没有合成出任何声音", f"{engine.name} produced no audio")
        duration = round(raw.n * SAMPLE_RATE / rate) / SAMPLE_RATE
        timeline = _clamped(Timeline(tuple(phrases), duration, tuple(phones)))
        timeline = replace(timeline, visemes=build_visemes(timeline, language, _syllables(timeline, language, preset)))
        speech = _store(path, raw, rate, preset.loudness, timeline, preset.name, engine.name, list(warnings))
    finally:
        raw.close()
    report(1.0)
    return speech


def _syllables(timeline: Timeline, language: str, preset: VoicePreset) -> list[tuple[str, ...]] | None:
    """The pinyin of every token (Mandarin), lexicon included, for the visemes."""
    if language != "zh":
        return None
    lexicon = preset.lexicon_entries()
    return [syllables for phrase in timeline.phrases for _, syllables in zh_syllables(phrase.spoken, lexicon)]


def _resampled(result: EngineResult, rate: int, resample) -> EngineResult:
    return EngineResult(resample(result.samples, result.sample_rate, rate), rate, result.tokens, result.phones)


def _split_tokens(result: EngineResult, pieces: list[_Piece]):
    """The tokens of one whole-script call split by phrase; the audio as it is."""
    tokens, k = [], 0
    for piece in pieces:
        tokens.append(list(result.tokens[k:k + piece.units]))
        k += piece.units
    return result.samples.astype(np.float32), tokens, list(result.phones)
