import json

import pytest

from anchor.errors import ScriptError
from anchor.script import LowerThird, detect_language, load_script, parse_script


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_txt_first_line_is_headline(tmp_path):
    s = load_script(write(tmp_path, "a.txt", "标题一行\n正文第一段。\n\n正文第二段。\n"))
    assert (s.title, s.language, s.stem) == ("标题一行", "zh", "a")
    assert s.paragraphs == ["正文第一段。", "正文第二段。"]


def test_markdown_front_matter(tmp_path):
    s = load_script(write(tmp_path, "b.md", "---\ntitle: Headline\nlanguage: en\nvoice: en-espeak\n"
                          "avatar: astronaut\nlower_third: {name: Li Hua, title: Reporter}\n---\nBody text here.\n"))
    assert s.title == "Headline" and s.language == "en" and s.voice == "en-espeak" and s.avatar == "astronaut"
    assert s.lower_third == LowerThird("Li Hua", "Reporter")
    assert s.body == "Body text here."


def test_markdown_heading_as_title_and_language_detected(tmp_path):
    s = load_script(write(tmp_path, "c.md", "# 今日要闻\n\n县里举办**农民丰收节**。\n"))
    assert s.title == "今日要闻" and s.language == "zh" and s.body == "县里举办农民丰收节。"


def test_yaml_and_json_scripts(tmp_path):
    y = load_script(write(tmp_path, "d.yaml", "title: T\nbody: |\n  Hello county.\n"))
    j = load_script(write(tmp_path, "e.json", json.dumps({"title": "标题", "body": "正文。", "lower_third": {"name": "张明"}})))
    assert y.language == "en" and y.body == "Hello county."
    assert j.language == "zh" and j.lower_third == LowerThird("张明", "")


def test_detect_language():
    assert detect_language("今天的GDP增长了5%") == "zh"
    assert detect_language("The county fair opens today.") == "en"
    assert detect_language("こんにちは") == "hiragana"


@pytest.mark.parametrize("name,text,needle", [
    ("empty.txt", "标题\n\n", "body"),
    ("blank.txt", "   \n", "body"),
    ("bad.md", "---\ntitle: [unclosed\n---\n正文\n", "front matter"),
    ("open.md", "---\ntitle: x\n正文\n", "not closed"),
    ("bad.json", "{title: }", "malformed"),
    ("list.yaml", "- a\n- b\n", "mapping"),
    ("lang.md", "---\ntitle: Bonjour\nlanguage: fr\n---\nBonjour à tous.\n", "'fr'"),
    ("kana.txt", "ニュース\nこんにちは、みなさん。\n", "hiragana"),
    ("extra.yaml", "title: a\nbody: b\nsoundtrack: x.mp3\n", "soundtrack"),
    ("cue.md", "---\ntitle: a\n---\n[画面: x.jpg 斜着]\n正文。\n", "cannot read"),
    ("cuelist.yaml", "title: a\nbody: b\ncues: [{paragraph: 3, ticker: x}]\n", "paragraph 3"),
    ("dangling.md", "---\ntitle: a\n---\n正文。\n\n[滚动字幕: 热线12345]\n", "not followed"),
    ("lt.yaml", "title: a\nbody: b\nlower_third: Li\n", "lower_third"),
])
def test_bad_scripts_raise_clear_errors(tmp_path, name, text, needle):
    with pytest.raises(ScriptError) as err:
        load_script(write(tmp_path, name, text))
    assert needle in err.value.en
    assert err.value.zh and err.value.exit_code == 2


def test_missing_unreadable_and_unsupported_files(tmp_path):
    with pytest.raises(ScriptError, match="not found"):
        load_script(tmp_path / "nope.txt")
    (tmp_path / "folder.txt").mkdir()
    with pytest.raises(ScriptError, match="not found"):
        load_script(tmp_path / "folder.txt")
    (tmp_path / "latin1.txt").write_bytes("t\u00eate\nbody \u00e9t\u00e9".encode("latin-1"))
    with pytest.raises(ScriptError, match="UTF-8"):
        load_script(tmp_path / "latin1.txt")
    with pytest.raises(ScriptError, match="unsupported"):
        load_script(write(tmp_path, "x.docx", "hello"))


def test_parse_script_normalises_whitespace():
    s = parse_script("Title \r\n  Line one \u3000 with  gaps\r\n\r\n\r\n\r\nNext", ".txt")
    assert s.body == "Line one with gaps\n\nNext"


def test_inline_cues_attach_to_their_paragraph(tmp_path):
    s = load_script(write(tmp_path, "cues.md", "---\ntitle: 标题\nticker: 开放时间9点\nmusic: bed.m4a\n---\n"
                          "[画面: media/a_b.jpg 全屏 2-8]\n第一段。\n\n第二段。\n[人名条: 王强 / 局长]\n"
                          "[lower_third: Li_Hua | Reporter]\n\n[ticker: 热线12345]\n\n第三段。\n"))
    assert s.paragraphs == ["第一段。", "第二段。", "第三段。"]
    kinds = [(c.paragraph, c.kind) for c in s.cues]
    assert kinds == [(0, "broll"), (1, "lower_third"), (1, "lower_third"), (2, "ticker")]
    broll = s.cues[0].value
    assert broll.path == tmp_path / "media" / "a_b.jpg" and (broll.mode, broll.start, broll.end) == ("full", 2.0, 8.0)
    assert s.cues[2].value == LowerThird("Li_Hua", "Reporter")
    assert s.ticker == "开放时间9点" and s.music.path == tmp_path / "bed.m4a"


def test_listed_cues_in_yaml(tmp_path):
    s = load_script(write(tmp_path, "c.yaml", "title: T\nbody: |\n  One.\n\n  Two.\ncues:\n"
                          "  - {paragraph: 2, broll: clip.mp4, mode: full, trim: [1, 3]}\n"
                          "  - {paragraph: 1, lower_third: {name: Li, title: Mayor}, seconds: 4}\n"))
    assert [(c.paragraph, c.kind) for c in s.cues] == [(1, "broll"), (0, "lower_third")]
    assert s.cues[1].seconds == 4.0 and s.cues[0].value.end == 3.0


def test_split_stories(tmp_path):
    from anchor.script import split_stories

    s = load_script(write(tmp_path, "b.md", "---\ntitle: 今日要闻\n---\n开场。\n\n## 第一条\n[滚动字幕: 热线]\n"
                          "一的正文。\n\n一的第二段。\n\n## 第二条\n二的正文。\n"))
    stories = split_stories(s)
    assert [(x.stem, x.title, x.paragraphs) for x in stories] == [
        ("b-01", "今日要闻", ["开场。"]), ("b-02", "第一条", ["一的正文。", "一的第二段。"]), ("b-03", "第二条", ["二的正文。"])]
    assert [(c.paragraph, c.kind) for c in stories[1].cues] == [(0, "ticker")]
    assert split_stories(load_script(write(tmp_path, "one.txt", "标题\n正文。\n"))) == [load_script(tmp_path / "one.txt")]


# --------------------------------------------------------------------------- read_title (headline read first)


@pytest.mark.parametrize("name, text, expected", [
    ("on.md", "---\nread_title: true\n---\n# 县城快讯\n\n正文。\n", True),
    ("off.md", "---\nread_title: false\n---\n# 县城快讯\n\n正文。\n", False),
    ("unset.md", "---\nvoice: zh-espeak\n---\n# 县城快讯\n\n正文。\n", None),
    ("plain.txt", "县城快讯\n正文。\n", None),
    ("on.yaml", "title: 县城快讯\nread_title: yes\nbody: 正文。\n", True),
    ("off.json", json.dumps({"title": "县城快讯", "body": "正文。", "read_title": False}), False),
    ("null.json", json.dumps({"title": "县城快讯", "body": "正文。", "read_title": None}), None),
])
def test_read_title_field(tmp_path, name, text, expected):
    assert load_script(write(tmp_path, name, text)).read_title is expected


@pytest.mark.parametrize("value", ['"true"', "1", "是", "[true]"])
def test_read_title_must_be_a_boolean(tmp_path, value):
    with pytest.raises(ScriptError) as e:
        load_script(write(tmp_path, "bad.md", f"---\nread_title: {value}\n---\n# 县城快讯\n\n正文。\n"))
    assert "read_title" in e.value.zh and "true" in e.value.en
    assert str(e.value).index("read_title 应为") < str(e.value).index("read_title must")  # Chinese first


def test_split_stories_each_read_their_own_title(tmp_path):
    from anchor.script import split_stories
    from anchor.speech.phrasing import prepare

    s = load_script(write(tmp_path, "b.md", "---\ntitle: 今日要闻\nread_title: true\n---\n开场。\n\n"
                          "## 第一条\n一的正文。\n\n## 第二条\n二的正文。\n"))
    stories = split_stories(s)
    assert [x.read_title for x in stories] == [True, True, True]
    assert [[p.display for p in prepare(x)] for x in stories] == [
        ["今日要闻", "开场。"], ["第一条", "一的正文。"], ["第二条", "二的正文。"]]
    assert [p.brk for p in prepare(stories[1])] == ["paragraph", "paragraph"]  # a paragraph's pause after it
    off = split_stories(load_script(write(tmp_path, "c.md", "# 今日要闻\n\n## 第一条\n一的正文。\n")))
    assert [[p.display for p in prepare(x)] for x in off] == [["一的正文。"]]
