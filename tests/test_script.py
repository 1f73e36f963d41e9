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
    ("extra.yaml", "title: a\nbody: b\nmusic: x.mp3\n", "music"),
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
