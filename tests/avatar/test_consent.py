"""The presenter's consent: recorded when a photo anchor is added, shown in lists and clip records,
warned about in a single render and required by unattended ones; and a default anchor that is nobody's likeness."""

import datetime as dt
import json
import os
import shutil

import cv2
import pytest
import skimage.data
import yaml

from anchor.avatar import DEFAULT_AVATAR, consent_state, describe, load_avatar
from anchor.avatar.consent import check_consent, consent_request, consent_warnings
from anchor.avatar.pack import add_photo_avatar
from anchor.errors import AvatarError, ConsentError
from anchor.files import PROJECT_DIR, file_sha256
from anchor.graphics import load_station
from anchor.graphics.station import Station
from anchor.pipeline import RenderOptions, render_script
from anchor.script import load_script, parse_script

TODAY = dt.date.today()
QUICK = dict(aspects=("1:1",), lead_in=0.2, lead_out=0.3)


def _portrait(path):
    image = cv2.resize(skimage.data.astronaut(), None, fx=2.2, fy=2.2, interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(str(path), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    return path


def _pdf(path, text="signed by Zhang Ming"):
    path.write_bytes(b"%PDF-1.4\n% " + text.encode() + b"\n%%EOF\n")
    return path


def _copy_pack(name, root, new_id=None, **changes):
    folder = root / (new_id or name)
    shutil.copytree(PROJECT_DIR / "avatars" / name, folder)
    data = yaml.safe_load((folder / "avatar.yaml").read_text(encoding="utf-8"))
    data.update(changes)
    (folder / "avatar.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return folder


@pytest.fixture()
def packs(tmp_path, monkeypatch):
    root = tmp_path / "packs"
    monkeypatch.setenv("ANCHOR_AVATARS_DIR", str(root))
    return root


# -- adding a photo anchor needs the presenter's consent ------------------------------------------

def test_add_without_consent_fails_in_both_languages_and_writes_nothing(tmp_path, anchor_cli):
    env = {**os.environ, "ANCHOR_AVATARS_DIR": str(tmp_path / "packs")}
    photo = _portrait(tmp_path / "张明.jpg")
    refused = anchor_cli("avatar", "add", photo, "--name", "张明", env=env)
    assert refused.returncode == 2
    line = refused.stderr.strip().splitlines()[-1]
    assert "单独同意" in line and "separate consent" in line and line.index("单独同意") < line.index("separate consent")
    assert "--consent FILE" in line and "--consent-note" in line  # says what to pass
    missing = anchor_cli("avatar", "add", photo, "--name", "张明", "--consent", tmp_path / "nowhere.pdf", env=env)
    assert missing.returncode == 2 and "找不到授权文件" in missing.stderr and "consent document not found" in missing.stderr
    fake = tmp_path / "consent.pdf"
    fake.write_text("not a pdf at all", encoding="utf-8")
    garbled = anchor_cli("avatar", "add", photo, "--name", "张明", "--consent", fake, env=env)
    assert garbled.returncode == 2 and "not a readable .pdf" in garbled.stderr
    root = tmp_path / "packs"
    assert not root.exists() or not list(root.iterdir())  # no pack, no staging folder


def test_consent_document_is_copied_in_and_recorded(tmp_path, anchor_cli):
    env = {**os.environ, "ANCHOR_AVATARS_DIR": str(tmp_path / "packs")}
    photo = _portrait(tmp_path / "张明.jpg")
    document = _pdf(tmp_path / "张明授权书.pdf")
    added = anchor_cli("avatar", "add", photo, "--name", "张明", "--consent", document, "--consent-by", "张明本人",
                       "--consent-use", "县融媒体中心新闻播报", "--consent-date", "2026-11-30", env=env)
    assert added.returncode == 0, added.stderr
    folder = tmp_path / "packs" / "zhang-ming"
    assert sorted(p.name for p in folder.iterdir()) == ["avatar.yaml", "consent.pdf", "photo.png", "preview.jpg"]
    assert (folder / "consent.pdf").read_bytes() == document.read_bytes()
    consent = yaml.safe_load((folder / "avatar.yaml").read_text(encoding="utf-8"))["consent"]
    assert consent["by"] == "张明本人" and consent["use"] == "县融媒体中心新闻播报"
    assert consent["date"] == "2026-11-30" and consent["until"] == "2027-11-30"  # a year by default, and said so
    assert "consent valid until 2027-11-30" in added.stderr and "--consent-until" in added.stderr
    assert consent["document"] == "consent.pdf" and consent["sha256"] == file_sha256(document)
    assert consent["recorded_by"] and dt.datetime.fromisoformat(consent["recorded_at"]).date() <= TODAY
    row = json.loads(added.stdout.strip().splitlines()[-1])
    assert row["consent"]["state"] == "recorded" and row["consent"]["sha256"] == consent["sha256"]


def test_a_consent_note_serves_for_a_stations_own_test(tmp_path, packs):
    until = (TODAY + dt.timedelta(days=30)).isoformat()
    request = consent_request(None, "王芳本人 2026-12-01 口头同意内部测试", "王芳", until=until)
    pack = add_photo_avatar(_portrait(tmp_path / "p.jpg"), "王芳", consent=request)
    assert sorted(p.name for p in pack.folder.iterdir()) == ["avatar.yaml", "photo.png", "preview.jpg"]
    assert pack.consent.note == "王芳本人 2026-12-01 口头同意内部测试" and pack.consent.document is None
    assert pack.consent.until.isoformat() == until and pack.consent.date == TODAY
    assert pack.consent.use == "本台新闻播报 / news reading for this station" and pack.consent.by == "王芳"
    assert consent_state(pack) == "recorded" and consent_warnings(pack) == []


@pytest.mark.parametrize("kwargs, message", [
    ({"until": "2020-01-01"}, "has passed"),
    ({"until": "next year"}, "must be a date"),
    ({"by": " "}, "who consented"),
])
def test_bad_consent_details_are_refused(kwargs, message):
    with pytest.raises(AvatarError, match=message):
        consent_request(None, "note", **{"by": "张明", **kwargs})


# -- the state of every pack ------------------------------------------------------------------------

def test_avatars_json_shows_every_consent_state(tmp_path, packs, anchor_cli):
    _copy_pack("astronaut", packs)  # a real face, no record
    _copy_pack("mascot", packs)  # drawn
    record = {"by": "李华", "date": "2025-01-01", "use": "news", "note": "李华本人同意"}
    _copy_pack("astronaut", packs, "li-hua", consent={**record, "until": (TODAY + dt.timedelta(days=1)).isoformat()})
    _copy_pack("astronaut", packs, "old", consent={**record, "until": (TODAY - dt.timedelta(days=1)).isoformat()})
    signed = _copy_pack("astronaut", packs, "signed")
    _pdf(signed / "consent.pdf")
    data = yaml.safe_load((signed / "avatar.yaml").read_text(encoding="utf-8"))
    data["consent"] = {**record, "document": "consent.pdf", "sha256": file_sha256(signed / "consent.pdf")}
    (signed / "avatar.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    env = {**os.environ, "ANCHOR_AVATARS_DIR": str(packs)}
    listed = anchor_cli("avatars", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    states = {r["id"]: r["consent"] for r in json.loads(listed.stdout)}
    assert {k: v["state"] for k, v in states.items()} == {
        "astronaut": "missing", "mascot": "not needed", "li-hua": "recorded", "old": "expired", "signed": "recorded"}
    assert states["astronaut"]["label"] == "缺少本人授权 / no consent record"
    assert states["old"]["until"] == (TODAY - dt.timedelta(days=1)).isoformat() and states["old"]["by"] == "李华"
    assert "drawn artwork" in states["mascot"]["reason"]
    text = anchor_cli("avatars", env=env)
    assert "本人授权已过期" in text.stdout and "consent expired" in text.stdout and "无需授权" in text.stdout
    # a recorded document that changes afterwards no longer counts
    _pdf(signed / "consent.pdf", "someone else's signature")
    changed = describe(load_avatar("signed"))["consent"]
    assert changed["state"] == "expired" and changed["document_problem"] == "changed"
    assert "gone or has changed" in consent_warnings(load_avatar("signed"))[0]


def test_malformed_consent_blocks_say_what_is_wrong(packs):
    _copy_pack("astronaut", packs, consent={"by": "张明", "date": "2026-12-01", "use": "news"})
    with pytest.raises(AvatarError, match="consent needs document or note"):
        load_avatar("astronaut")
    _copy_pack("mascot", packs, consent={"needed": False, "signed": "yes"})
    with pytest.raises(AvatarError, match="unknown consent field"):
        load_avatar("mascot")


def test_a_photo_cannot_declare_that_it_needs_no_consent(packs):
    _copy_pack("astronaut", packs, consent={"needed": False, "reason": "public domain"})
    assert consent_state(load_avatar("astronaut")) == "missing"


def test_check_consent_refuses_only_where_required_and_not_allowed():
    photo, mascot = load_avatar("astronaut"), load_avatar("mascot")
    check_consent(photo, Station(), required=False)
    check_consent(mascot, Station(), required=True)
    check_consent(photo, Station(allow_unconsented_faces=True), required=True)
    with pytest.raises(ConsentError, match="allow_unconsented_faces") as refused:
        check_consent(photo, Station(), required=True)
    assert "未经授权的真人形象" in refused.value.zh and refused.value.exit_code == 2
    with pytest.raises(Exception, match="true or false"):
        Station(allow_unconsented_faces="yes")


def test_an_expired_consent_is_refused_like_a_missing_one(packs):
    yesterday = TODAY - dt.timedelta(days=1)
    _copy_pack("astronaut", packs, "old", consent={"by": "李华", "date": "2025-01-01", "use": "news",
                                                  "note": "李华本人同意", "until": yesterday.isoformat()})
    pack = load_avatar("old")
    assert consent_state(pack, today=yesterday) == "recorded" and consent_state(pack) == "expired"
    assert f"expired on {yesterday}" in consent_warnings(pack)[0] and f"于 {yesterday} 到期" in consent_warnings(pack)[0]
    with pytest.raises(ConsentError, match=f"expired on {yesterday}"):
        check_consent(pack, Station(), required=True)


# -- the default anchor -----------------------------------------------------------------------------

def test_the_default_anchor_is_the_drawn_mascot_named_by_the_station(tmp_path, monkeypatch):
    assert DEFAULT_AVATAR == "mascot"
    pack = load_avatar()
    assert pack.id == "mascot" and pack.kind == "sprite" and consent_state(pack) == "not needed"
    assert describe(pack)["name"] == "小融 Xiao Rong"  # the repository's station.yaml
    station = tmp_path / "station.yaml"
    station.write_text("name: 江津区融媒体中心\nanchor_name: 小江\nanchor_name_en: Jiang\n", encoding="utf-8")
    monkeypatch.setenv("ANCHOR_STATION", str(station))
    assert describe(pack)["name"] == "小江 Jiang"
    example = describe(load_avatar("astronaut"))
    assert example["name"] == "示例照片主播 Example photo anchor" and example["consent"]["state"] == "missing"
    assert "not for air" in example["licence"]
    demo = (PROJECT_DIR / "scripts" / "demo.md").read_text(encoding="utf-8")
    assert "艾琳" not in demo and "Eileen" not in demo


def test_the_demo_names_the_mascot_from_the_brand_kit(tmp_path, monkeypatch):
    demo = load_script(PROJECT_DIR / "scripts" / "demo.md")
    assert demo.avatar is None and demo.lower_third.title == "AI主播 {anchor}"  # read by the default anchor
    station = load_station(PROJECT_DIR / "station.yaml")
    assert demo.with_anchor_name(station.anchor_name, station.anchor_name_en).lower_third.title == "AI主播 小融"
    english = parse_script("---\ntitle: Library\nlower_third: {name: '{anchor}', title: AI anchor}\n---\n"
                           "Open late.\n", ".md")
    assert english.with_anchor_name("小融", "Xiao Rong").lower_third.name == "Xiao Rong"
    (tmp_path / "station.yaml").write_text("name: 江津区融媒体中心\nanchor_name: 小江\nanchor_name_en: Jiang\n",
                                           encoding="utf-8")
    monkeypatch.setenv("ANCHOR_STATION", str(tmp_path / "station.yaml"))
    script = parse_script("---\ntitle: 图书馆延长开放\nlower_third: {name: 江津区融媒体中心, title: 'AI主播 {anchor}'}\n"
                          "---\n从今天起开放到九点。\n\n[人名条: {anchor} / AI主播]\n县文化馆举办书法展。\n", ".md", stem="news")
    assert script.with_anchor_name("小江").cues[0].value.name == "小江"
    clip, = render_script(script, tmp_path / "out", RenderOptions(**QUICK))
    info = json.loads(clip.metadata.read_text(encoding="utf-8"))
    assert [lt["title"] for lt in info["lower_thirds"]][:1] == ["AI主播 小江"]
    assert {lt["name"] for lt in info["lower_thirds"]} == {"江津区融媒体中心", "小江"}
    assert info["anchor"]["id"] == "mascot" and info["anchor"]["name"] == "小江 Jiang" and info["warnings"] == []


# -- clips ------------------------------------------------------------------------------------------

SCRIPT = "图书馆延长开放\n从今天起，县图书馆开放到晚上九点。\n"


def test_a_single_render_of_an_unconsented_face_warns_and_records_it(tmp_path):
    clip, = render_script(parse_script(SCRIPT, ".txt", stem="news"), tmp_path / "out",
                          RenderOptions(avatar="astronaut", **QUICK))
    warning, = [w for w in clip.info["warnings"] if "consent" in w]
    assert "没有本人授权记录，不得播出" in warning and warning.endswith("has no consent record: not for air")
    info = json.loads(clip.metadata.read_text(encoding="utf-8"))
    assert info["avatar"] == "astronaut" and info["warnings"] == clip.info["warnings"]
    assert info["anchor"] == {"id": "astronaut", "name": "示例照片主播 Example photo anchor", "kind": "photo",
                              "consent": {"state": "missing", "label": "缺少本人授权 / no consent record"}}


def test_a_photo_anchor_is_never_given_the_station_anchors_name(tmp_path):
    # the demo's lower third says "AI主播 {anchor}": read by a photo pack, that is the pack's own name
    demo = load_script(PROJECT_DIR / "scripts" / "demo.md")
    clip, = render_script(demo, tmp_path / "out", RenderOptions(avatar="astronaut", **QUICK))
    titles = [lt["title"] for lt in clip.info["lower_thirds"]]
    assert titles and all("小融" not in t for t in titles) and "AI主播 示例照片主播 Example photo anchor" in titles


def test_a_clip_names_its_anchors_consent_record(tmp_path, packs):
    request = consent_request(_pdf(tmp_path / "signed.pdf"), None, "张明", use="本台新闻", until="2099-12-31")
    add_photo_avatar(_portrait(tmp_path / "p.jpg"), "张明", consent=request)
    clip, = render_script(parse_script(SCRIPT, ".txt", stem="news"), tmp_path / "out",
                          RenderOptions(avatar="zhang-ming", require_consent=True, **QUICK))
    consent = json.loads(clip.metadata.read_text(encoding="utf-8"))["anchor"]["consent"]
    assert consent["state"] == "recorded" and consent["by"] == "张明" and consent["use"] == "本台新闻"
    assert consent["until"] == "2099-12-31" and consent["document"] == "consent.pdf"
    assert consent["sha256"] == file_sha256(tmp_path / "signed.pdf") and clip.info["warnings"] == []


def test_a_required_consent_is_checked_before_any_work(tmp_path, monkeypatch):
    out = tmp_path / "out"
    with pytest.raises(ConsentError, match="no consent record"):
        render_script(parse_script(SCRIPT, ".txt", stem="news"), out, RenderOptions(avatar="astronaut",
                                                                                    require_consent=True))
    assert not out.exists()
