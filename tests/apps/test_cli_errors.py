"""Bad input ends with exit code 2, one clear bilingual line, and nothing written."""

import os
import stat
import textwrap

import pytest

from conftest import run_anchor


def _script(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


CASES = {
    "empty": ("empty.txt", "标题\n\n"),
    "malformed front matter": ("bad.md", "---\ntitle: [oops\n---\n正文内容。\n"),
    "unknown voice": ("v.md", "---\ntitle: 标题\nvoice: no-such-voice\n---\n正文内容。\n"),
    "unknown avatar": ("a.md", "---\ntitle: 标题\navatar: no-such-avatar\n---\n正文内容。\n"),
    "language with no engine": ("fr.md", "---\ntitle: Titre\nlanguage: fr\n---\nBonjour à tous.\n"),
    "undetectable language": ("ko.txt", "뉴스\n안녕하세요 여러분.\n"),
}


def _assert_clean_failure(result, out, code=2):
    assert result.returncode == code, (result.returncode, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert any("\u4e00" <= ch <= "\u9fff" for ch in lines[0]) and "error" in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists() or list(out.iterdir()) == []


@pytest.mark.parametrize("case", CASES)
def test_bad_input_exits_2_and_writes_nothing(tmp_path, case):
    name, text = CASES[case]
    out = tmp_path / "out"
    result = run_anchor("render", _script(tmp_path, name, text), "--out", out, "--quiet")
    _assert_clean_failure(result, out)


def test_missing_file(tmp_path):
    out = tmp_path / "out"
    result = run_anchor("render", tmp_path / "missing.txt", "--out", out)
    _assert_clean_failure(result, out)
    assert "missing.txt" in result.stderr


def test_unreadable_file(tmp_path):
    path = _script(tmp_path, "x.txt", "标题\n正文。\n")
    path.write_bytes(b"\xff\xfe\x00bad \xc3(")
    out = tmp_path / "out"
    _assert_clean_failure(run_anchor("render", path, "--out", out), out)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read any file")
def test_permission_denied(tmp_path):
    path = _script(tmp_path, "x.txt", "标题\n正文。\n")
    path.chmod(0)
    out = tmp_path / "out"
    _assert_clean_failure(run_anchor("render", path, "--out", out), out)


@pytest.mark.slow
def test_encoder_crash_exits_1_and_leaves_nothing(tmp_path):
    """An ffmpeg that dies mid-encode: exit 1, and no half-written clip or temp file."""
    import imageio_ffmpeg

    real = imageio_ffmpeg.get_ffmpeg_exe()
    crashing = tmp_path / "ffmpeg"
    crashing.write_text(textwrap.dedent(f"""\
        #!/bin/sh
        case "$*" in
          *rawvideo*) head -c 20000000 >/dev/null; echo "simulated encoder crash" >&2; exit 1 ;;
        esac
        exec {real} "$@"
        """))
    crashing.chmod(crashing.stat().st_mode | stat.S_IEXEC)
    script = _script(tmp_path, "ok.txt", "县里举办丰收节\n今天上午，县里举办农民丰收节。\n")
    out = tmp_path / "out"
    out.mkdir()
    env = {**os.environ, "IMAGEIO_FFMPEG_EXE": str(crashing)}
    result = run_anchor("render", script, "--out", out, "--quiet", env=env)
    _assert_clean_failure(result, out, code=1)
