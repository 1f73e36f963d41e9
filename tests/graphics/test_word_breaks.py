"""No subtitle line, cue or spoken phrase breaks inside a word (issue 12, points 3 and 4).

The corpus (tests/data/long_unpunctuated_zh.txt) is long unpunctuated county news; every
boundary is checked against plain jieba words of the text and against every occurrence of a
news-dictionary word, and numbers keep their units.
"""

import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from test_subtitles import timeline, zh_phrase  # noqa: E402

from anchor.graphics import build_cues  # noqa: E402
from anchor.graphics.linebreak import text_width, wrap_text  # noqa: E402
from anchor.script import LowerThird, Script  # noqa: E402
from anchor.speech import script_words, segment  # noqa: E402
from anchor.speech.lexicon import load_lexicon  # noqa: E402
from anchor.speech.phrasing import split_phrases  # noqa: E402

DATA = Path(__file__).parent.parent / "data" / "long_unpunctuated_zh.txt"
NEWS = Path(__file__).parent.parent.parent / "anchor" / "speech" / "news_words.txt"
CORPUS = [line.strip() for line in DATA.read_text(encoding="utf-8").splitlines()
          if line.strip() and not line.startswith("#")]
DICTIONARY = {w.split("#")[0].strip() for w in NEWS.read_text(encoding="utf-8").splitlines()} - {""}
_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f"
_NUMBER_UNIT = re.compile(r"\d+(?:\.\d+)?(?:%|℃|个|人次|人|户|家|吨|亩|元|万|亿|件|起|天|座|辆|小时|届|后)")


def jieba_boundaries(text: str) -> set[int]:
    """Boundaries of plain jieba words (one Chinese run at a time; Latin words and numbers whole)."""
    import jieba

    cuts, pos = set(), 0
    for run in re.findall(f"\\s+|[^\\s{_CJK}]+|[{_CJK}]+", text):
        for tok in (jieba.lcut(run, HMM=True) if re.match(f"[{_CJK}]", run) else [run]):
            pos += len(tok)
            cuts.add(pos)
    return cuts


def violations(text: str, boundaries: list[int], words=(), what: str = "") -> list[str]:
    """Every boundary of ``text`` that falls inside a word, as 'what: left|right (word)'."""
    allowed = jieba_boundaries(text)
    found = []
    for b in boundaries:
        if not 0 < b < len(text):
            continue
        show = f"{what}: {text[max(0, b - 8):b]}|{text[b:b + 8]}"
        if b not in allowed:
            found.append(f"{show} (inside a jieba word)")
        for word in DICTIONARY | set(words):
            start = text.find(word)
            while start != -1:
                if start < b < start + len(word):
                    found.append(f"{show} (inside {word})")
                start = text.find(word, start + 1)
        for m in _NUMBER_UNIT.finditer(text):
            if m.start() < b < m.end():
                found.append(f"{show} (inside {m.group()})")
    return found


def cue_boundaries(text: str, cues) -> tuple[list[int], list[int]]:
    """Positions in ``text`` where a subtitle line ends, and where a cue ends."""
    lines, ends, pos = [], [], 0
    for cue in cues:
        for line in cue.lines:
            pos = text.index(line, pos) + len(line)
            lines.append(pos)
        ends.append(pos)
    return lines, ends


def check_cues(text: str, words=()) -> list[str]:
    cues = build_cues(timeline([zh_phrase(text, 0.0)]), "zh", words)
    assert all(len(c.lines) <= 2 and all(text_width(line) <= 32 for line in c.lines) for c in cues), cues
    lines, ends = cue_boundaries(text, cues)
    return violations(text, lines, words, "line") + violations(text, ends, words, "cue")


def test_corpus_is_long_and_unpunctuated():
    assert len(CORPUS) >= 30
    assert all(len(s) >= 30 and not re.search("[，。、；！？]", s) for s in CORPUS)


def test_no_line_or_cue_boundary_inside_a_word():
    found = [v for text in CORPUS for v in check_cues(text)]
    assert not found, "\n".join(found)


def test_issue_example():
    text = "昆山市融媒体中心推出全国首个县级融媒体3D超写实AI数字人主播“昆小融”"
    cues = build_cues(timeline([zh_phrase(text, 0.0)]), "zh")
    lines = [line for c in cues for line in c.lines]
    assert "".join(lines) == text
    for word in ("融媒体中心", "县级", "融媒体", "3D", "AI", "数字人", "主播"):
        assert not any(line.startswith(word[1:]) or any(line.endswith(word[:k]) for k in range(1, len(word)))
                       and word not in line for line in lines), (word, lines)
    assert not check_cues(text)


def test_phrases_from_the_corpus_through_subtitles():
    """The real path: phrases cut for length by phrasing, then cues and lines."""
    found = []
    for text in CORPUS:
        pieces = split_phrases([text], "zh")
        phrases, t = [], 0.0
        for piece in pieces:
            phrases.append(zh_phrase(piece.display, t))
            t = phrases[-1].end + 0.12
        cues = build_cues(timeline(phrases), "zh")
        lines, ends = cue_boundaries(text, cues)
        found += violations(text, lines, (), "line") + violations(text, ends, (), "cue")
    assert not found, "\n".join(found)


def wrap_violations(text: str, widths=range(12, 17)) -> list[str]:
    """Line boundaries at the widths anchor uses (subtitles 16, title cards 14, narrower headlines)."""
    found = []
    for width in widths:
        lines, pos = [], 0
        for line in wrap_text(text, "zh", width):
            pos = text.index(line, pos) + len(line)
            lines.append(pos)
        found += violations(text, lines, (), f"width {width}")
    return found


def test_wrapping_at_every_width_never_breaks_a_word():
    found = [v for text in CORPUS for v in wrap_violations(text)]
    assert not found, "\n".join(found)


def test_checker_sees_breaks_inside_words(monkeypatch):
    """The old behaviour (plain jieba lines, phrases cut by character count) fails these checks."""
    import anchor.graphics.linebreak as linebreak
    import anchor.speech.phrasing as phrasing
    from anchor.speech.words import jieba_words

    text = "昆山市融媒体中心推出全国首个县级融媒体3D超写实AI数字人主播“昆小融”"
    monkeypatch.setattr(linebreak, "segment", lambda text, words=(): jieba_words(text))
    assert any("inside 数字人" in v for v in wrap_violations(text, [8])), wrap_violations(text, [8])
    monkeypatch.setattr(phrasing, "word_tokens", lambda text, words=(): list(text))
    pieces = split_phrases([text], "zh")
    found = violations(text, [len(pieces[0].display)], (), "phrase")
    assert any("inside 融媒体" in v for v in found), [p.display for p in pieces]


def test_a_words_entry_in_the_lexicon_is_kept_whole(tmp_path, monkeypatch):
    (tmp_path / "lexicon.yaml").write_text("zh:\n  枞阳: zōng yáng\nwords:\n  - 欧阳澜汐\n  - 淀山湖镇\n",
                                           encoding="utf-8")
    lexicon = load_lexicon(tmp_path / "lexicon.yaml")
    assert lexicon.words == ("欧阳澜汐", "淀山湖镇")
    assert set(lexicon.all_words()) == {"欧阳澜汐", "淀山湖镇", "枞阳"}
    text = "今天上午淀山湖镇举办农民丰收节欧阳澜汐带领志愿者走进田间地头为群众送去农技知识"
    assert "淀山湖镇" not in segment(text) and "欧阳澜汐" not in segment(text)  # jieba alone splits them
    monkeypatch.setenv("ANCHOR_VOICES_DIR", str(tmp_path))  # the station lexicon is read by every wrap
    assert "淀山湖镇" in segment(text) and "欧阳澜汐" in segment(text)
    for width in range(4, 17):
        lines = wrap_text(text, "zh", width)
        assert any("淀山湖镇" in line for line in lines) and any("欧阳澜汐" in line for line in lines), (width, lines)


def test_a_lower_third_name_passed_in_is_kept_whole():
    name = "欧阳澜汐"
    script = Script(title="我县举办农民丰收节", body="x", language="zh", lower_third=LowerThird(name, "淀山湖镇党委书记"))
    words = script_words(script)
    assert name in words and "淀山湖镇党委书记" in words
    assert name not in segment("今天" + name + "举行")
    filler = "今天上午县融媒体中心记者在田间地头采访了"
    broken = []
    for k in range(len(filler) + 1):
        text = filler[:k] + name + "她说今年全镇水稻喜获丰收农民增收致富的信心更足了"
        if not any(name in line for c in build_cues(timeline([zh_phrase(text, 0.0)]), "zh", words) for line in c.lines):
            broken.append(text)
        phrases = [p.display for p in split_phrases([text], "zh", words)]
        if not any(name in p for p in phrases):
            broken.append(f"phrase: {phrases}")
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize("text", CORPUS)
def test_phrasing_never_cuts_inside_a_word(text):
    pieces = split_phrases([text], "zh")
    assert "".join(p.display for p in pieces) == text
    assert all(sum(c.isalnum() for c in p.display) <= 40 for p in pieces), [p.display for p in pieces]
    bounds, pos = [], 0
    for piece in pieces[:-1]:
        pos += len(piece.display)
        bounds.append(pos)
    found = violations(text, bounds, (), "phrase")
    assert not found, "\n".join(found)
