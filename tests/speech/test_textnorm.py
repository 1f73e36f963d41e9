"""Text normalisation: the readings a newsreader needs (wetextprocessing, real FSTs)."""

import pytest

from anchor.speech.normalize import normalize


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


@pytest.mark.parametrize(
    "written, spoken",
    [
        ("投资1.6亿元", "投资一点六亿元"),
        ("同比增长5%-8%", "同比增长百分之五到百分之八"),
        ("10%～15%", "百分之十到百分之十五"),
        ("气温3-5℃", "气温三到五摄氏度"),
        ("最低-5℃", "最低负五摄氏度"),
        ("3~5级", "三到五级"),
        ("面积35.6km²", "面积三十五点六平方千米"),
        ("拨打12345热线", "拨打幺二三四五热线"),
        ("110报警", "幺幺零报警"),
        ("2024年3月5日上午10:30", "二零二四年三月五日上午十点三十分"),
        ("22:00-次日6:00", "二十二点到次日六点"),
        ("1998年", "一九九八年"),
        ("1/3的农户", "三分之一的农户"),
    ],
)
def test_chinese_news_numbers(written, spoken):
    assert normalize(written, "zh") == spoken


@pytest.mark.parametrize(
    "written, expected",
    [
        ("Call 555-0134 now", "Call five five five, oh one three four now"),
        ("The 3-5 day window", "The three to five day window"),
        ("Temperatures of -5°C", "Temperatures of negative five degrees Celsius"),
        ("In 2024, GDP rose 5.2%", "In twenty twenty four, GDP rose five point two percent"),
    ],
)
def test_english_news_numbers(written, expected):
    assert normalize(written, "en") == expected
