"""A subtitle typo fixed after the clip is made: rendered again with ``cue_texts``, the speech comes from the
speech cache and only the picture changes (read back with the real decoder)."""

import json
import re

import numpy as np
import pytest

from anchor.errors import InputError
from anchor.export.probe import read_audio, read_frames
from anchor.graphics import layout_for
from anchor.pipeline import RenderOptions, render_script
from anchor.script import parse_script

pytestmark = pytest.mark.slow

# the script's typo (图书官) reads the same as the right word (图书馆): the subtitle is wrong, the speech is not
SCRIPT = "县图书馆延长开放时间\n从今天起，县图书官每天开放到晚上九点。全县已有两千多名读者办理了借书证。\n"
TEMPLATE = "name: quick\nbackdrop: plain\nintro: {seconds: 0}\noutro: {seconds: 0}\n"


def _srt(path):
    """(start, end, text) of every SRT block."""
    out = []
    for block in path.read_text(encoding="utf-8").strip().split("\n\n"):
        lines = block.splitlines()
        out.append((lines[1].split(" --> ")[0], lines[1].split(" --> ")[1], "\n".join(lines[2:])))
    return out


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    folder = tmp_path_factory.mktemp("edit")
    (folder / "quick.yaml").write_text(TEMPLATE, encoding="utf-8")
    quick = dict(aspects=("1:1",), lead_in=0.2, lead_out=0.3, template=str(folder / "quick.yaml"))
    out = {}
    for name in ("first", "second"):
        events = []
        if name == "first":
            options = RenderOptions(**quick)
        else:
            texts = [c["text"] for c in out["first"]["info"]["cues"]]
            edited = next(k for k, t in enumerate(texts) if "图书官" in t)
            texts[edited] = texts[edited].replace("图书官", "图书馆")
            options = RenderOptions(**quick, cue_texts=tuple(texts))
        clip, = render_script(parse_script(SCRIPT, ".txt", stem="news"), folder / name, options,
                              lambda stage, fraction: events.append((stage, fraction)))
        out[name] = {"clip": clip, "info": json.loads(clip.metadata.read_text(encoding="utf-8")), "events": events}
    out["edited"], out["folder"], out["quick"] = edited, folder, quick
    return out


def test_the_speech_is_reused_and_its_stage_is_done_at_once(renders):
    first, second = renders["first"], renders["second"]
    assert first["info"]["speech_reused"] is False and second["info"]["speech_reused"] is True
    speech = [f for stage, f in second["events"] if stage == "speech"]
    assert speech == [0.0, 1.0]  # no synthesis in between
    assert second["events"].index(("speech", 1.0)) == 1
    assert second["info"]["render_seconds"] < first["info"]["render_seconds"]


def test_the_new_text_is_in_the_json_and_the_srt_on_the_same_times(renders):
    k = renders["edited"]
    before, after = renders["first"]["info"]["cues"], renders["second"]["info"]["cues"]
    assert [(c["start"], c["end"]) for c in before] == [(c["start"], c["end"]) for c in after]
    assert "图书馆" in after[k]["text"] and "图书官" not in after[k]["text"]
    assert [c["text"] for n, c in enumerate(after) if n != k] == [c["text"] for n, c in enumerate(before) if n != k]
    srt1, srt2 = _srt(renders["first"]["clip"].subtitles), _srt(renders["second"]["clip"].subtitles)
    assert [(a, b) for a, b, _ in srt1] == [(a, b) for a, b, _ in srt2]
    assert "图书馆" in srt2[k][2] and "图书官" in srt1[k][2]
    assert "图书馆" in renders["second"]["clip"].webvtt.read_text(encoding="utf-8")
    # the speech is the script's as written: the spoken text did not change
    assert renders["first"]["info"]["spoken_text"] == renders["second"]["info"]["spoken_text"]


def test_the_audio_is_identical_and_only_the_edited_subtitle_is_redrawn(renders):
    video1, video2 = renders["first"]["clip"].videos["1:1"], renders["second"]["clip"].videos["1:1"]
    a1, rate1 = read_audio(video1)
    a2, rate2 = read_audio(video2)
    assert rate1 == rate2 and len(a1) == len(a2) and np.array_equal(a1, a2)

    cues = renders["first"]["info"]["cues"]
    k = renders["edited"]
    other = next(n for n in range(len(cues)) if n != k)
    times = [(cues[n]["start"] + cues[n]["end"]) / 2 for n in (k, other)]
    box = layout_for(1080, 1080).subtitles
    inside1, outside1 = read_frames(video1, times)
    inside2, outside2 = read_frames(video2, times)

    def changed(x, y):
        """Pixels that changed by more than encoding noise: (inside the subtitle box, elsewhere)."""
        moved = np.abs(x.astype(np.int16) - y.astype(np.int16)).max(axis=2) > 64
        inside = moved[box.y:box.y + box.h, box.x:box.x + box.w].sum()
        return int(inside), int(moved.sum() - inside)

    assert changed(inside1, inside2)[0] > 300 and changed(inside1, inside2)[1] == 0  # the corrected character
    assert changed(outside1, outside2) == (0, 0)  # another cue's subtitle, and the anchor, as they were
    assert np.abs(outside1.astype(np.int16) - outside2.astype(np.int16)).mean() < 0.5


def test_a_wrong_number_of_texts_says_how_many_cues_there_are(renders):
    n = len(renders["first"]["info"]["cues"])
    out = renders["folder"] / "wrong"
    with pytest.raises(InputError) as info:
        render_script(parse_script(SCRIPT, ".txt", stem="news"), out,
                      RenderOptions(**renders["quick"], cue_texts=("只有一条",) * (n + 1)))
    assert f"{n} subtitle cues" in info.value.en and f"共有 {n} 条" in info.value.zh
    assert not [p for p in out.iterdir()]  # nothing half made is left


def test_cue_texts_reach_the_render_through_a_job(renders, tmp_path):
    from anchor.apps.intake import web_options
    from anchor.jobs import JobStore, Runner, make_executor

    texts = [c["text"] for c in renders["second"]["info"]["cues"]]
    # as the studio sends them: the table's texts and the clip's other options (another template: same speech)
    options = web_options({"cue_texts": texts, "aspects": ["1:1"], "template": "flash", "lead_in": 0.2,
                           "lead_out": 0.3})
    store = JobStore(tmp_path)
    job = store.add("edit", "news", options, text=SCRIPT, fmt=".txt", origin="studio")
    Runner(store, make_executor("in-process")).run([job.id])
    done = store.get(job.id)
    assert done.state == "done", (done.error_en, done.error_zh)
    metadata, = [a for a in done.artifacts if a.role == "metadata"]
    info = json.loads((tmp_path / metadata.path).read_text(encoding="utf-8"))
    assert info["speech_reused"] is True and [c["text"] for c in info["cues"]] == texts
    srt = (tmp_path / next(a.path for a in done.artifacts if a.role == "subtitles")).read_text(encoding="utf-8")
    assert "图书馆" in srt and "图书官" not in srt and re.search(r"\d\d:\d\d:\d\d,\d{3} --> ", srt)
