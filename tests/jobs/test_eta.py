"""The time a running job has left, from the stage speeds measured on this machine."""

import time

from anchor.jobs import JobStore
from anchor.jobs.eta import StageClock, work_of


def _job(store, text="标题\n" + "正文。" * 30, aspects=("9:16",)):
    return store.add(f"k{time.monotonic_ns()}", "clip", {"aspects": list(aspects)}, text=text, fmt=".txt")


def test_nothing_measured_means_no_estimate_then_the_measured_rates_give_one(tmp_path):
    store = JobStore(tmp_path)
    clock = StageClock(store)
    first = _job(store)
    clock.started(first.id)
    assert clock.remaining(first, 0.0) is None  # a fresh machine: nothing measured, nothing made up
    for stage, seconds in (("speech", 0.2), ("avatar", 0.05), ("render", 0.3)):
        time.sleep(seconds)
        clock.observe(first.id, {"speech": "avatar", "avatar": "render", "render": "render"}[stage])
    clock.finished(first.id, ok=True)
    rates = clock.rates()
    assert set(rates) == {"speech", "avatar", "render"}
    assert abs(rates["speech"] * work_of(first, "speech") - 0.2) < 0.1

    twice = _job(store, text=first.text + "再多一段。" * 30, aspects=("9:16", "16:9"))  # longer, and two aspects
    clock.started(twice.id)
    left = clock.remaining(twice, 0.0)
    expected = sum(rates[s] * work_of(twice, s) for s in ("speech", "avatar", "render"))
    assert left is not None and abs(left - expected) < 0.05
    assert work_of(twice, "render") > 2 * work_of(first, "render")  # frames follow the text and the aspects


def test_a_stage_under_way_is_timed_by_its_own_pace(tmp_path):
    store = JobStore(tmp_path)
    clock = StageClock(store)
    job = _job(store)
    clock.started(job.id)
    clock.observe(job.id, "avatar")
    clock.observe(job.id, "render")
    time.sleep(0.4)
    left = clock.remaining(job, 0.5)  # half the frames in 0.4 s: about 0.4 s to go, render being the last stage
    assert 0.3 < left < 0.6
    assert StageClock(store).rates().keys() == {"speech", "avatar"}  # kept in the store, for the next process
