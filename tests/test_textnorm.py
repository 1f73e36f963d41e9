"""Text normalisation: the readings a newsreader needs (wetextprocessing, real FSTs)."""

import pytest

from anchor.textnorm import normalize


@pytest.mark.parametrize(
    "written, spoken",
    [
        ("2022年8月", "二零二二年八月"),
        ("2585个", "两千五百八十五个"),
        ("30万", "三十万"),
        ("98.5%", "百分之九十八点五"),
    ],
)
def test_chinese_newsreader_readings(written, spoken):
    assert normalize(written, "zh") == spoken


def test_chinese_punctuation_survives():
    out = normalize("2024年9月20日，我县召开会议：水分控制在14.5%以内。“好！”", "zh")
    assert out == "二零二四年九月二十日，我县召开会议：水分控制在百分之十四点五以内。“好！”"


def test_chinese_leaves_no_digits_and_keeps_letters():
    out = normalize("5G基站，CCTV-1。", "zh")
    assert not any(c.isdigit() for c in out)
    assert "G" in out and "CCTV" in out and out.endswith("。")


def test_english_date_and_quantity():
    out = normalize("On March 5, 2024, 1,200 people", "en")
    assert out == "On the fifth of march, twenty twenty four, one thousand two hundred people"


@pytest.mark.parametrize(
    "written, expected",
    [
        ("more than 60% asked", "more than sixty percent asked"),
        ("until 9 p.m. on weekdays.", "until nine PM on weekdays."),
        ("It cost $3.50.", "It cost three dollars and fifty cents."),
        ("2,585 residents", "two thousand five hundred eighty five residents"),
    ],
)
def test_english_numbers_to_words(written, expected):
    assert normalize(written, "en") == expected


def test_empty_text():
    assert normalize("  ", "zh") == ""
