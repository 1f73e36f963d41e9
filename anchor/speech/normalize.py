"""Text normalisation: what is written -> what a newsreader says.

Built on ``wetextprocessing`` (WeNet's FST normaliser):

* Chinese: 2022年8月 -> 二零二二年八月, 2585个 -> 两千五百八十五个, 30万 -> 三十万,
  98.5% -> 百分之九十八点五, 10:30 -> 十点三十分, 12345 (hotline) -> 幺二三四五.
  The shipped Chinese FSTs turn Chinese punctuation into ASCII, which would lose
  the clause marks that phrase splitting and pauses rely on, so the FSTs are
  rebuilt once with ``full_to_half=False`` (and interjections / 儿 kept, since a
  news script is read as written) into the cache dir (``$ANCHOR_CACHE_DIR/tn`` or
  ``~/.cache/anchor/tn``).  Building takes ~10 s, under a file lock, into a
  temporary folder renamed into place, so parallel processes never see half a cache.
* English: the shipped FSTs (numbers, dates, money, times to words), plus two
  small fixes before them: thousands separators (1,200 -> one thousand two
  hundred; wetext drops the "one") and dollars-and-cents.

Digits the FSTs leave behind in Chinese text (e.g. inside 5G) are read digit by
digit, so no engine ever meets a bare digit.  A few patterns the FSTs misread
are rewritten first: ranges (5%-8%, 10%～15%, 22:00-6:00, 3~5 -> 到; English
3-5 -> "3 to 5") and English phone numbers (555-0134, read digit by digit).
The Chinese rewrites (phone numbers in groups, 1 as 幺, plates, IDs, units,
year and date ranges, fractions, scores, ‰, web addresses) are in
:mod:`.readings_zh`; English also reads decades (1990s -> nineteen nineties),
"call 911" digit by digit, and cents with the whole dollars.
The corpus in ``tests/data/readings_*.tsv`` holds the readings every change must keep.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from ..cache import cache_root
from ..files import file_lock
from .readings_zh import after_fst, before_fst

_ZH_OPTIONS = dict(full_to_half=False, remove_interjections=False, remove_erhua=False, traditional_to_simple=True)
_ZH_DIGITS = dict(zip("0123456789", "零一二三四五六七八九"))


def cache_dir() -> Path:
    return cache_root() / "tn"


def normalize(text: str, language: str) -> str:
    """``text`` as it should be spoken in ``language`` ("zh" or "en"); punctuation kept."""
    if not text.strip():
        return ""
    if language == "zh":
        return _normalize_zh(text)
    return _normalize_en(text)


# --- Chinese ----------------------------------------------------------------------------


_RANGE_DASH = r"\s*[-~～—–]\s*"


def _normalize_zh(text: str) -> str:
    text = before_fst(text)  # phone numbers, plates, units, year ranges, fractions, ... (readings_zh.py)
    # "CCTV-1", "G-20": a hyphen between letters and digits is a dash, not a minus sign
    text = re.sub(r"(?<=[A-Za-z])-(?=\d)", " ", text)
    # ranges the FSTs misread: 5%-8% (百分之五百分之负八), 10%～15%, 22:00-次日6:00, 3~5
    text = re.sub(r"(\d%|\d％)" + _RANGE_DASH + r"(?=\d)", r"\1到", text)
    text = re.sub(r"(\d{1,2}[:：]\d{2})" + _RANGE_DASH, r"\1到", text)
    text = re.sub(r"(?<=\d)\s*[~～]\s*(?=\d)", "到", text)
    out = after_fst(_zh_normalizer().normalize(text))
    return re.sub(r"\d", lambda m: _ZH_DIGITS[m.group()], out)


@lru_cache(maxsize=1)
def _zh_normalizer():
    from tn.chinese.normalizer import Normalizer
    from tn import _version

    _quiet_wetext()
    tag = "zh-" + str(getattr(_version, "__version__", "x")) + "-" + "-".join(
        f"{k}{int(v)}" for k, v in sorted(_ZH_OPTIONS.items()))
    final = cache_dir() / tag
    if not _complete(final):
        final.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(final.parent / f".{tag}.lock"):
            if not _complete(final):  # another process may have built it while we waited
                staging = Path(tempfile.mkdtemp(prefix=f".{tag}.", dir=final.parent))
                try:
                    Normalizer(cache_dir=str(staging), overwrite_cache=True, **_ZH_OPTIONS)
                    os.chmod(staging, 0o755)
                    if final.exists():
                        shutil.rmtree(final, ignore_errors=True)
                    os.replace(staging, final)
                finally:
                    shutil.rmtree(staging, ignore_errors=True)
    return Normalizer(cache_dir=str(final), overwrite_cache=False, **_ZH_OPTIONS)


def _complete(folder: Path) -> bool:
    return all((folder / name).is_file() and (folder / name).stat().st_size > 0
               for name in ("zh_tn_tagger.fst", "zh_tn_verbalizer.fst"))




def _quiet_wetext():
    logging.getLogger("wetext").setLevel(logging.WARNING)
    logging.getLogger("wetext-zh_normalizer").setLevel(logging.WARNING)


# --- English ----------------------------------------------------------------------------


_EN_DIGITS = dict(zip("0123456789", "oh one two three four five six seven eight nine".split()))
_EN_PHONE = re.compile(r"(?<![\w-])(?:\(\d{3}\)\s*|\d{3}[-.\s])?\d{3}[-.]\d{4}(?![\w-])")


def _en_digits(number: str) -> str:
    """555-0134 -> "five five five, oh one three four": phone numbers are read digit by digit."""
    groups = re.findall(r"\d+", number)
    return ", ".join(" ".join(_EN_DIGITS[d] for d in g) for g in groups)


def _normalize_en(text: str) -> str:
    text = _EN_PHONE.sub(lambda m: _en_digits(m.group()), text)
    # "call 911": short service numbers are dialled digit by digit
    text = re.sub(r"(?i)\b(call|dial|ring|phone)(\s+)(\d{3,5})\b", lambda m: m.group(1) + m.group(2) + _en_digits(m.group(3)), text)
    # decades: 1990s -> nineteen nineties (wetext says "one thousand nine hundred and ninety seconds")
    text = re.sub(r"(?<![\d'])(\d\d)?(\d)0s\b", _en_decade, text)
    # 9:05 a.m. -> 9:05 AM (wetext drops the sentence's full stop after "a.m.")
    text = re.sub(r"\b([ap])\.m\.(?=\s*$|\s+[A-Z])", lambda m: m.group(1).upper() + "M.", text)  # ends the sentence
    text = re.sub(r"\b([ap])\.m\.", lambda m: m.group(1).upper() + "M", text)
    # 3-5 days: a range (wetext reads "5 d" as daltons); ISO dates (2024-10-01) are left to the FSTs
    text = re.sub(r"(?<![\d-])(\d{1,4}(?:\.\d+)?)\s*[-–]\s*(\d{1,4}(?:\.\d+)?)(?![\d-])", r"\1 to \2", text)
    # comma-grouped numbers are quantities, never years: 1,200 -> one thousand two hundred
    # (wetext reads 1200 as "twelve hundred" and 2,585 as "twenty five eighty five")
    text = re.sub(r"(?<![\d.$])\d{1,3}(?:,\d{3})+(?![\d.])", lambda m: _en_cardinal(int(m.group().replace(",", ""))), text)

    def dollars(m: re.Match) -> str:
        whole, cents = int(m.group(1)), int(m.group(2))
        out = f"{_en_cardinal(whole)} dollar{'s' if whole != 1 else ''}"
        return out + (f" and {_en_cardinal(cents)} cent{'s' if cents != 1 else ''}" if cents else "")

    text = re.sub(r"\$(\d+)\.(\d\d)\b", dollars, re.sub(r"(?<=\$\d)(\d{0,2}),(?=\d{3})", r"\1", text))
    out = _en_normalizer().normalize(text)
    out = re.sub(r"\s+([,.;:!?])", r"\1", out)  # "march , twenty" -> "march, twenty"
    out = re.sub(r"\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve) o (?=\w)", r"\1 oh ", out)
    return re.sub(r"\s{2,}", " ", out).strip()


@lru_cache(maxsize=1)
def _en_normalizer():
    from tn.english.normalizer import Normalizer

    _quiet_wetext()
    return Normalizer()  # the shipped English FSTs are fine as they are


def _en_decade(m: re.Match) -> str:
    """1990s -> nineteen nineties, 2020s -> twenty twenties, 2000s -> two thousands, 80s -> eighties."""
    century, tens = m.group(1), int(m.group(2))
    if century and tens == 0:
        return _en_cardinal(int(century + "00")) + "s" if century.endswith("0") else _en_cardinal(int(century)) + " hundreds"
    word = "tens" if tens == 1 else _TENS[tens][:-1] + "ies"
    return (_en_cardinal(int(century)) + " " if century else "") + word


_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
         "sixteen seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"), (100, "hundred"))


def _en_cardinal(n: int) -> str:
    """1200 -> "one thousand two hundred" (a quantity, as a newsreader says it)."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    for value, name in _SCALES:
        if n >= value:
            head, rest = divmod(n, value)
            return f"{_en_cardinal(head)} {name}" + (f" {_en_cardinal(rest)}" if rest else "")
    return str(n)
