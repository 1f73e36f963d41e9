"""The 读音 panel's library side: a producer types how a word is said, hears it, and saves it to the
station lexicon (:mod:`anchor.speech.lexicon`).

* :func:`check_reading` - pinyin (tone marks or numbers, one syllable per character) or a homophone of as
  many characters (kept as ``say:`` for the character-reading voices, its pinyin from pypinyin), checked
  by the lexicon loader's own rules;
* :func:`hear_reading` - the word spoken with the reading applied, nothing saved;
* :func:`save_reading` - the entry added to (or replaced in) ``zh:`` of ``voices/lexicon.yaml`` as a text
  edit, so every comment and every other line stays as the station wrote it; the previous file is kept
  beside it as ``lexicon.yaml.prev``.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import Field

from ..errors import SpeechError, VoiceError
from ..files import file_lock, remove_quietly, write_bytes_atomic
from ..script import Script
from .lexicon import _HAN, Lexicon, load_lexicon, reading_syllables
from .synthesis import synthesize
from .voices import VoicePreset, load_voice, voices_dir

_ENTRY = re.compile(r"(?P<indent>[ \t]*)(?P<q>['\"]?)(?P<key>[^'\":#\s]+)(?P=q)[ \t]*:(?P<value>.*)")


@dataclass(frozen=True)
class Reading:
    """How a word is said: what the pinyin-reading voices get, and what a character-reading voice is sent."""

    word: str
    pinyin: tuple[str, ...]  # tone-numbered, one syllable per character: ("zong1", "yang2")
    say: str | None = None  # a homophone of as many characters, for voices that read characters (edge-tts)

    @property
    def written(self) -> str:
        """The pinyin as the lexicon file writes it: tone marks, or tone numbers when a syllable is neutral."""
        from pypinyin.contrib.tone_convert import to_tone

        if any(s.endswith("5") for s in self.pinyin):
            return " ".join(self.pinyin)
        return " ".join(to_tone(s) for s in self.pinyin)

    def lexicon(self) -> Lexicon:
        return Lexicon({self.word: self.pinyin}, {self.word: self.say} if self.say else {})


def check_reading(word: str, reading: str) -> Reading:
    """``reading`` for ``word`` checked: pinyin with tone marks or numbers, or a homophone; a VoiceError
    (Chinese and English) says what is wrong."""
    from pypinyin import Style, lazy_pinyin

    word, text = str(word or "").strip(), str(reading or "").strip()
    if not (_HAN.search(text) and _HAN.fullmatch(word)):  # pinyin (or a word that is not Chinese: said so)
        return Reading(word, reading_syllables(word, text))
    if not _HAN.fullmatch(text) or len(text) != len(word):
        raise VoiceError(f"同音字应与“{word}”字数相同（{len(word)} 个汉字），现为“{text}”",
                         f"a homophone for {word} must be {len(word)} Chinese characters, got {text!r}")
    pinyin = reading_syllables(word, " ".join(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True)))
    return Reading(word, pinyin, text if text != word else None)


class _Trying(VoicePreset):
    """A preset whose lexicon has one more entry on top of the station's: a reading being heard, not saved."""

    trial: Lexicon = Field(default_factory=Lexicon)

    def lexicon_entries(self) -> Lexicon:
        return super().lexicon_entries().merged(self.trial)


def hear_reading(reading: Reading, voice: str | None = None) -> tuple[int, np.ndarray]:
    """(sample rate, float32 mono samples) of ``reading.word`` spoken by ``voice`` (default: the default
    Mandarin voice) with the reading applied; the lexicon file is not touched and nothing is cached.
    A voice that cannot speak here hands over to its fallback, as in a render, with the reading kept."""
    preset, tried = load_voice(voice, "zh"), []
    script = Script(title=reading.word, body=f"{reading.word}。", language="zh")
    while True:
        tried.append(preset.name)
        trying = _Trying(**{**preset.model_dump(), "fallback": None}, trial=reading.lexicon())
        try:
            speech = synthesize(script, trying, cache=False)
            return speech.sample_rate, np.array(speech.samples, np.float32)
        except SpeechError:
            if not preset.fallback or preset.fallback in tried:
                raise
            preset = load_voice(preset.fallback, "zh")


def save_reading(reading: Reading, path: str | os.PathLike | None = None) -> Path:
    """Add ``reading`` to the lexicon file at ``path`` (default: the voices folder's ``lexicon.yaml``), or
    replace the word's entry there; the rest of the file is kept as it is, the previous version beside it
    (``lexicon.yaml.prev``).  Later renders read the new entry (the loader notices the new file)."""
    path = Path(path) if path is not None else voices_dir() / "lexicon.yaml"
    with file_lock(path.with_name(f".{path.name}.lock")):
        data = path.read_bytes() if path.exists() else b""
        bom = b"\xef\xbb\xbf" if data.startswith(b"\xef\xbb\xbf") else b""
        edited = _edited(data[len(bom):].decode("utf-8"), reading, path)
        # a hidden temporary name that is not *.yaml: a scan of the voices folder for presets never reads it
        temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.saving")
        try:
            _write(temp, bom + edited.encode("utf-8"))
            try:
                saved = load_lexicon(temp)  # the new file reads back, with this entry
            except VoiceError as e:  # a mistake elsewhere in the file: named as the station knows the file
                raise VoiceError(e.zh.replace(str(temp), str(path)), e.en.replace(str(temp), str(path))) from None
            if saved.zh.get(reading.word) != reading.pinyin or saved.say.get(reading.word) != reading.say:
                raise VoiceError(f"读音词典 {path} 的写法无法自动修改，请手动添加 {reading.word}",
                                 f"lexicon {path} is written in a way this edit cannot follow; add {reading.word} by hand")
            if data:
                write_bytes_atomic(path.with_name(path.name + ".prev"), data)
            os.replace(temp, path)
        finally:
            remove_quietly(temp)
    return path


def _edited(text: str, reading: Reading, path: Path) -> str:
    """``text`` with the word's line under ``zh:`` replaced, or a line added after the block's last entry."""
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    value = f"{{pinyin: {reading.written}, say: {reading.say}}}" if reading.say else reading.written
    start = next((i for i, line in enumerate(lines) if re.match(r"zh[ \t]*:", line)), None)
    if start is None:
        return "".join(lines) + f"zh:{newline}  {reading.word}: {value}{newline}"
    inline = re.sub(r"\s#.*", "", lines[start].split(":", 1)[1]).strip()
    if inline not in ("", "{}", "null", "~"):
        raise VoiceError(f"读音词典 {path} 的 zh: 写在了一行里，请改成每行一个词条后再保存",
                         f"lexicon {path} has its zh: entries on one line; put one entry a line, then save")
    if inline:
        lines[start] = "zh:" + newline
    end = start + 1
    while end < len(lines) and not re.match(r"[^\s#]", lines[end]):  # up to the next top-level key
        end += 1
    entries = [(i, m) for i in range(start + 1, end)
               if lines[i].strip() and not lines[i].lstrip().startswith("#") and (m := _ENTRY.fullmatch(lines[i].rstrip("\r\n")))]
    indent = entries[0][1]["indent"] if entries else "  "
    own = [(i, m) for i, m in entries if m["indent"] == indent and m["key"] == reading.word]
    for n, (i, m) in reversed(list(enumerate(own))):
        stop = i + 1  # a long-form entry's lines are indented deeper than its key
        while stop < end and lines[stop].strip() and len(lines[stop]) - len(lines[stop].lstrip()) > len(indent):
            stop += 1
        comment = re.search(r"\s+#.*", m["value"])  # a note after the reading (# pypinyin: dān) stays
        lines[i:stop] = [f"{indent}{reading.word}: {value}{comment.group() if comment else ''}{newline}"] if n == 0 else []
    if not own:
        last = max((i for i, _ in entries), default=start)
        while last + 1 < end and lines[last + 1].strip() and lines[last + 1][:1] in " \t":
            last += 1  # past the lines of a long-form entry
        lines.insert(last + 1, f"{indent}{reading.word}: {value}{newline}")
    return "".join(lines)


def _write(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


