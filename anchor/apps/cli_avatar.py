"""The ``anchor avatars`` and ``anchor avatar add | add-twin | add-mascot`` commands (see :mod:`anchor.apps.cli`)."""

from __future__ import annotations

import argparse
import json
import sys


def add_avatar_commands(commands) -> None:
    """The avatar subcommands on the ``anchor`` parser's ``commands``."""
    avatars = commands.add_parser("avatars", help="列出主播形象及缩略图 / list avatar packs with a thumbnail path")
    avatars.add_argument("--json", action="store_true", help="输出 JSON / print JSON")
    avatars.set_defaults(run=_avatars)
    avatar = commands.add_parser("avatar", help="管理主播形象 / manage avatar packs")
    avatar_commands = avatar.add_subparsers(dest="avatar_command", required=True)
    add = avatar_commands.add_parser("add", help="用一张照片新建主播形象 / make a new anchor from a photo")
    add.add_argument("photo", help="正面、清晰的单人照片 / a clear frontal photo of one presenter")
    _presenter_arguments(add, ("照片", "photo"))
    add.set_defaults(run=_avatar_add)
    twin = avatar_commands.add_parser("add-twin", help="用主播本人的录像新建数字分身 / make a digital twin of the "
                                      "presenter from their own recording")
    twin.add_argument("recording", help="主播正对镜头坐着朗读的录像，至少 30 秒，建议 2–3 分钟，含 10–20 秒闭嘴静坐 / a "
                      "frontal, seated recording of the presenter reading, 30 s at least, 2-3 min recommended, with "
                      "10-20 s sitting still, mouth closed")
    _presenter_arguments(twin, ("录像", "recording"))
    twin.set_defaults(run=_avatar_add_twin)
    mascot = avatar_commands.add_parser("add-mascot", help="用设计师的分层美术稿新建吉祥物主播 / make a mascot anchor "
                                        "from a designer's layered artwork")
    mascot.add_argument("artwork", help="分层 PSD 文件或 PNG 图层文件夹 / a layered PSD file or a folder of PNG layers")
    mascot.add_argument("--name", required=True, help="吉祥物名字 / the mascot's name, e.g. 融融")
    mascot.add_argument("--id", help="形象编号（默认由名字生成）/ pack id (default: from the name, 融融 -> rong-rong)")
    mascot.add_argument("--licence", help="美术稿来源与授权 / where the artwork comes from (default: the station's own)")
    mascot.add_argument("--tint", action="append", default=[], metavar="PART=COLOUR", type=_tint,
                        help="用台标颜色给部件染色，可多次 / tint a part: body=primary, head=#ffcc00 (repeatable)")
    mascot.add_argument("--force", action="store_true", help="覆盖同名形象 / replace a pack with the same id")
    mascot.set_defaults(run=_avatar_add_mascot)


def _avatars(args) -> int:
    from ..avatar import avatars_dir, describe, list_avatars, load_avatar

    rows = [describe(load_avatar(name)) for name in list_avatars()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print(f"主播形象 / avatar packs: {avatars_dir()}")
    width = max((len(r["id"]) for r in rows), default=4)
    for r in rows:
        print(f"  {r['id']:<{width}}  {r['kind']:<10}  {r['name']}")
        zh, en = r["consent"]["label"].split(" / ", 1)
        until = r["consent"].get("until")
        print(f"  {'':<{width}}  " + (f"{zh}（至 {until}）/ {en} (until {until})" if until else f"{zh} / {en}"))
        print(f"  {'':<{width}}  {r['thumbnail']}")
    return 0


def _presenter_arguments(parser, material: tuple[str, str]) -> None:
    """A real presenter's new pack: name, id, licence, --force and their consent."""
    parser.add_argument("--name", required=True, help="主播名字 / the presenter's name, e.g. 张明")
    parser.add_argument("--id", help="形象编号（默认由名字生成）/ pack id (default: from the name, 张明 -> zhang-ming)")
    parser.add_argument("--licence", help=f"{material[0]}来源与授权 / where the {material[1]} comes from and on what terms")
    parser.add_argument("--force", action="store_true", help="覆盖同名形象 / replace a pack with the same id")
    parser.add_argument("--consent", metavar="FILE", help="本人签字的授权书（PDF/图片/文本），复制进形象 / the "
                        "presenter's signed authorisation, copied into the pack (this or --consent-note is required)")
    parser.add_argument("--consent-note", help="本台自测时代替授权书：谁、何时同意 / instead of a document, for a "
                        "station's own test: who agreed, and when")
    parser.add_argument("--consent-by", help="同意者（默认 --name）/ who consented (default: --name)")
    parser.add_argument("--consent-use", help="同意的用途 / what they agreed to (default: 本台新闻播报 / news reading for "
                        "this station)")
    parser.add_argument("--consent-date", metavar="YYYY-MM-DD", help="同意日期（默认今天）/ when they agreed (default: today)")
    parser.add_argument("--consent-until", metavar="YYYY-MM-DD", help="授权有效期至（默认一年）/ last day covered "
                        "(default: a year on)")


def _consent_of(args):
    from ..avatar import consent_request

    return consent_request(args.consent, args.consent_note, args.consent_by or args.name, args.consent_use,
                           args.consent_until, args.consent_date)


def _added(pack, consent, args, what: tuple[str, str] = ("主播形象", "avatar")) -> dict:
    from ..avatar import describe

    row = describe(pack)
    print(f"已添加{what[0]} / added {what[1]} {row['id']}: {pack.folder}", file=sys.stderr)
    print(f"本人授权有效期至 {consent.until} / consent valid until {consent.until}"
          + ("" if args.consent_until else "（默认一年，可用 --consent-until 修改 / a year by default: --consent-until)"),
          file=sys.stderr)
    return row


def _avatar_add_twin(args) -> int:
    from ..avatar import add_twin_avatar

    consent = _consent_of(args)
    print("正在分析录像（约为录像时长的一半）… / analysing the recording (about half its length)...", file=sys.stderr)
    pack = add_twin_avatar(args.recording, args.name, args.id, args.licence, args.force, consent=consent)
    row = _added(pack, consent, args, ("数字分身", "twin"))
    print(json.dumps({**row, "folder": str(pack.folder), "recording": pack.recording, "warnings": []},
                     ensure_ascii=False))
    return 0


def _avatar_add(args) -> int:
    from ..avatar import add_photo_avatar, size_warning

    consent = _consent_of(args)
    pack = add_photo_avatar(args.photo, args.name, args.id, args.licence, args.force, consent=consent)
    row = _added(pack, consent, args)
    warning = size_warning(pack)  # a face too small to fill every frame: framed smaller, and what size fills it
    if warning:
        print(f"注意 / warning: {warning}", file=sys.stderr)
    print(json.dumps({**row, "folder": str(pack.folder), "warnings": [warning] if warning else []}, ensure_ascii=False))
    return 0


def _tint(text: str) -> tuple[str, str]:
    part, _, colour = text.partition("=")
    if not part or not colour:
        raise argparse.ArgumentTypeError(f"写成 部件=颜色 / expected PART=COLOUR, e.g. body=primary, not {text!r}")
    return part.strip(), colour.strip()


def _avatar_add_mascot(args) -> int:
    from ..avatar import add_mascot_avatar, describe

    pack = add_mascot_avatar(args.artwork, args.name, args.id, args.licence, args.force, dict(args.tint))
    row = describe(pack)
    print(f"已添加吉祥物主播 / added mascot {row['id']}: {pack.folder}", file=sys.stderr)
    print(json.dumps({**row, "folder": str(pack.folder)}, ensure_ascii=False))
    return 0
