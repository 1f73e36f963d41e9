"""Word segmentation shared by spoken phrases and subtitles: where a break may fall in Chinese text.

jieba (its dictionary ships in the package) proposes the boundaries; no boundary is then kept inside

* a word of the news dictionary shipped with anchor (``news_words.txt``: 融媒体中心, 数字人, 乡村振兴, ...);
* a word of the station lexicon (``voices/lexicon.yaml``: its ``words:`` list and every word with a reading);
* a term the caller passes in (the script's lower-third names and titles, ticker and cue texts, headline);
* a number with its unit (2585个, 98.5%, 2.5万平方米, 第3届, 90后); Latin words and numbers are never split.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Iterable

_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_RUNS = re.compile(f"\\s+|[^\\s{_CJK}]+|[{_CJK}]+")
_HAN = re.compile(r"[\u3400-\u9fff]")
_UNITS = sorted("""个 万 亿 千 百 元 万元 亿元 千元 美元 人 人次 万人 万人次 次 户 家 名 位 岁 年 年度 月 日 号 时 点 分 秒 天 周
    小时 分钟 公里 千米 米 厘米 毫米 平方米 平方公里 立方米 亩 万亩 公顷 吨 万吨 千克 公斤 克 斤 度 千瓦 千瓦时 万千瓦时 倍 项 件 座
    所 套 台 辆 场 期 届 批 条 处 栋 间 头 只 株 棵 份 本 篇 部 艘 架 层 级 星 强 后 多 余 成 折 毫升 升""".split(),
                key=len, reverse=True)
_NUMBER = re.compile(r"(?:第)?[0-9０-９]+(?:[.,:：/][0-9０-９]+)*(?:[%％‰℃]|°C?)?(?:"
                     + "|".join(map(re.escape, _UNITS)) + r")?")
MAX_TERM = 10  # longer script texts (a headline) contribute their short parts, not the whole
MAX_NAME = 16  # a lower-third name or title up to a subtitle line long is kept whole


@lru_cache(maxsize=1)
def _segmenter():
    """jieba's Chinese word segmenter (its dictionary ships in the package), caching in anchor's cache folder."""
    import jieba

    from ..cache import cache_root

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    folder = cache_root() / "jieba"
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.tmp_dir = str(folder)
    return tokenizer


@lru_cache(maxsize=1)
def news_words() -> frozenset[str]:
    """The news dictionary shipped with anchor."""
    path = Path(__file__).with_name("news_words.txt")
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(line for line in lines if line)


def station_words() -> frozenset[str]:
    """Words of ``voices/lexicon.yaml`` (a broken lexicon is reported when the voice loads, not here)."""
    from ..errors import VoiceError
    from .lexicon import load_lexicon
    from .voices import voices_dir

    path = voices_dir() / "lexicon.yaml"
    try:
        return frozenset(load_lexicon(path).all_words()) if path.is_file() else frozenset()
    except VoiceError:
        return frozenset()


def jieba_words(text: str) -> list[str]:
    """Plain jieba tokens of ``text`` (Chinese runs), whitespace and Latin/number runs kept whole."""
    out: list[str] = []
    for run in _RUNS.findall(text):
        out += _segmenter().lcut(run, HMM=True) if re.match(f"[{_CJK}]", run) else [run]
    return out


def protected_spans(text: str, words: Iterable[str] = ()) -> list[tuple[int, int]]:
    """(start, end) of every occurrence of a dictionary, station or caller word and of every number with its unit."""
    vocabulary = news_words() | station_words() | {w for w in words if len(w) > 1}
    longest = max(map(len, vocabulary), default=0)
    spans = []
    for i in range(len(text)):
        for n in range(2, min(longest, len(text) - i) + 1):
            if text[i:i + n] in vocabulary:
                spans.append((i, i + n))
    spans += [m.span() for m in _NUMBER.finditer(text) if m.end() - m.start() > 1]
    return spans


def segment(text: str, words: Iterable[str] = ()) -> list[str]:
    """``text`` cut into words (their concatenation is ``text``): no cut inside a protected word."""
    tokens = jieba_words(text)
    cuts, pos = set(), 0
    for tok in tokens[:-1]:
        pos += len(tok)
        cuts.add(pos)
    for a, b in protected_spans(text, words):
        cuts.difference_update(range(a + 1, b))
    bounds = [0, *sorted(cuts), len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


def script_words(script, voice=None) -> tuple[str, ...]:
    """Terms of a script that must stay whole: lower-third names and titles, ticker and cue texts, headlines
    (their short parts), and the voice's lexicon words (the station lexicon with the preset's own on top)."""
    texts = [script.title, script.ticker or "", *(headline for _, headline in script.stories)]
    texts += [str(c.value) for c in script.cues if c.kind == "ticker"]
    thirds = [script.lower_third] + [c.value for c in script.cues if c.kind == "lower_third"]
    names = [t.strip() for third in thirds if third is not None for t in (third.name, third.title)]
    terms = [t for t in names if 2 <= len(t) <= MAX_NAME and _HAN.search(t)]  # a name or title fits one line
    for text in texts + names:
        terms += re.findall(r"[“‘「『《〈【]([^”’」』》〉】]{2,%d})[”’」』》〉】]" % MAX_TERM, text or "")
        terms += [p for p in re.split(r"[\s，。、；：？！,.;:?!“”‘’「」『』《》〈〉【】（）()·/|—-]+", text or "")
                  if 2 <= len(p) <= MAX_TERM and re.fullmatch(r"[\u3400-\u9fffA-Za-z0-9]*[\u3400-\u9fff][\u3400-\u9fffA-Za-z]*", p)]
    if voice is not None:
        terms += voice.lexicon_entries().all_words()
    return tuple(dict.fromkeys(terms))
