"""Chinese readings the FSTs get wrong, rewritten before (and fixed after) them.

Each rule turns a written pattern into what a newsreader says, or into a form the
FSTs read right.  Digit strings (phone numbers, hotlines, plates, IDs, train and
road numbers) are read digit by digit with 1 as 幺, in the groups a reader uses,
with "，" (a short pause in every engine) between groups; years are read digit by
digit with 1 as 一.  Latin letters are kept as letters for the engine to spell.
"""

from __future__ import annotations

import re

_DIGITS = dict(zip("0123456789", "零一二三四五六七八九"))
_YAO = dict(_DIGITS, **{"1": "幺"})
_ROMAN = dict(zip("ⅠⅡⅢⅣⅤⅥⅦⅧⅨⅩⅪⅫⅰⅱⅲⅳⅴⅵⅶⅷⅸⅹⅺⅻ", [*"一二三四五六七八九十", "十一", "十二"] * 2))
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_UNITS = [  # written unit after a number -> what is said (longest first)
    ("km/h", "公里每小时"), ("km²", "平方千米"), ("km2", "平方千米"), ("m²", "平方米"), ("㎡", "平方米"),
    ("m³", "立方米"), ("kW·h", "千瓦时"), ("kWh", "千瓦时"), ("kw·h", "千瓦时"), ("kwh", "千瓦时"),
    ("MW", "兆瓦"), ("kW", "千瓦"), ("kw", "千瓦"), ("km", "公里"), ("kg", "公斤"), ("mm", "毫米"),
    ("cm", "厘米"), ("mg", "毫克"), ("ml", "毫升"), ("mL", "毫升"), ("min", "分钟"), ("ha", "公顷"),
    ("°C", "摄氏度"), ("m", "米"), ("t", "吨"), ("h", "小时"),
]
_UNIT_RE = re.compile(r"(?<=[\d万亿千百])\s*(" + "|".join(re.escape(u) for u, _ in _UNITS) + r")(?![A-Za-z0-9²³])")
_UNIT_WORDS = dict(_UNITS)
_TLD = r"(?:com|cn|net|org|gov|edu|info|top|xyz|cc|tv|io)"
_HOST = r"(?:[A-Za-z0-9][A-Za-z0-9-]*\.)+" + _TLD + r"(?![A-Za-z])"
_EMAIL = re.compile(r"[A-Za-z0-9._-]+@" + _HOST)
_URL = re.compile(r"(?:https?://)?" + _HOST + r"(?:/[A-Za-z0-9_./-]*)?")
_DASH = r"\s*[-~～—–－]{1,2}\s*"
_DATE_UNIT = r"(?:年|月|日|号)"


def digits(text: str, yao: bool = True) -> str:
    """"0512" -> 零五幺二 (yao=False: 一)."""
    table = _YAO if yao else _DIGITS
    return "".join(table.get(c, c) for c in text)


def grouped(number: str, sizes: tuple[int, ...] = ()) -> str:
    """Digit by digit (1 as 幺) in groups of ``sizes`` (the rest in fours), a "，" between groups."""
    number = re.sub(r"\D", "", number) if not number.endswith(("X", "x")) else number
    parts, i = [], 0
    for size in sizes:
        parts.append(number[i:i + size])
        i += size
    while i < len(number):
        size = len(number) - i if len(number) - i <= 6 else 4  # 13 digits: 4 + 4 + 5, never a lone digit
        parts.append(number[i:i + size])
        i += size
    return "，".join(digits(p) for p in parts if p).replace("x", "X")


def _local(number: str) -> str:
    """A local number: 8 digits as 4 + 4, 7 as 3 + 4."""
    return grouped(number, (len(number) - 4,) if len(number) in (7, 8) else ())


def _speak_address(text: str) -> str:
    """www.ksrmt.com -> 三W点ksrmt点com; news@ks.gov.cn -> news艾特ks点gov点cn."""
    text = re.sub(r"^https?://", "", text).rstrip("/.")
    text = re.sub(r"^www\.", "三W.", text, flags=re.I)
    words = {".": "点", "@": "艾特", "/": "斜杠", "-": "杠", "_": "下划线"}
    return "".join(words.get(c, _YAO.get(c, c)) for c in text)


def before_fst(text: str) -> str:
    """Rewrites before the FSTs: patterns they misread, read here or put in a form they read right."""
    # full-width digits and letters (not punctuation) to ASCII; Roman numerals to Chinese numbers
    text = re.sub(r"[０-９Ａ-Ｚａ-ｚ％]", lambda m: chr(ord(m.group()) - 0xFEE0), text)
    text = re.sub("[" + "".join(_ROMAN) + "]", lambda m: _ROMAN[m.group()], text)
    # e-mail addresses and web addresses, spoken the way a newsreader dictates them
    text = _EMAIL.sub(lambda m: _speak_address(m.group()), text)
    text = _URL.sub(lambda m: _speak_address(m.group()), text)
    # phone numbers: mobile 3 + 4 + 4; 400/800 numbers 3 + 3 + 4; landline area code, then 4 + 4 (or 3 + 4)
    text = re.sub(r"(?<![\d.])(1[3-9]\d)[\s-]?(\d{4})[\s-]?(\d{4})(?![\d.])",
                  lambda m: grouped("".join(m.groups()), (3, 4, 4)), text)
    text = re.sub(r"(?<![\d.])([48]00)[\s-]?(\d{3})[\s-]?(\d{4})(?![\d.])",
                  lambda m: grouped("".join(m.groups()), (3, 3, 4)), text)
    text = re.sub(r"[(（]?(?<![\d.])(0\d{2,3})[)）]?(?:\s*[-—－–]\s*|\s+|(?<=[)）]))(\d{7,8})(?![\d.])",
                  lambda m: digits(m.group(1)) + "，" + _local(m.group(2)), text)
    text = re.sub(r"(?<![\d.])(0[12]\d|0[3-9]\d\d)(\d{8})(?![\d.])",
                  lambda m: digits(m.group(1)) + "，" + _local(m.group(2)), text)
    text = re.sub(r"((?:电话|热线|座机|号码|拨打)[是为：:]?\s*)(\d{7,8})(?![\d.])",
                  lambda m: m.group(1) + _local(m.group(2)), text)
    # hotlines and short service numbers: 12345, 110, 119, 120, 12315, 95598
    hot = r"(?<![\d.])(1[12]\d|123\d\d|95\d{3}|96\d{3})(?![\d.%％])"
    text = re.sub(r"((?:拨打|热线|电话|号码|报警|求助)[是为：:]?\s*)" + hot, lambda m: m.group(1) + digits(m.group(2)), text)
    text = re.sub(r"((?:拨打|热线|电话)[^，。；\d]{0,6}[或和、])" + hot, lambda m: m.group(1) + digits(m.group(2)), text)
    text = re.sub(hot + r"(?=\s*(?:报警|急救|火警|服务|平台|专线|政务|便民|指挥|投诉|接警|来电)|[^，。；\d人名个位家次件起]{0,4}(?:热线|电话))",
                  lambda m: digits(m.group(1)), text)
    # car plates: 苏E·12345 -> 苏E幺二三四五
    text = re.sub(f"([{_PROVINCES}])([A-Z])[·•・.\\s]?((?=(?:[A-Z]*\\d){{3}})[A-Z0-9]{{5,6}})(?![A-Za-z0-9])",
                  lambda m: m.group(1) + m.group(2) + digits(m.group(3)), text)
    # ID card (6 + 8 + 4), order, account and postcode numbers: digit by digit
    text = re.sub(r"(?<![\dA-Za-z])(\d{17}[\dXx])(?![\dA-Za-z])", lambda m: grouped(m.group(1), (6, 8, 4)), text)
    text = re.sub(r"((?:号|号码|编号|单号|账号|卡号|工号|尾号|邮编|邮政编码|代码|票号)[是为：:]?\s*)(\d{5,})(?![\d.])",
                  lambda m: m.group(1) + (digits(m.group(2)) if len(m.group(2)) <= 6 else grouped(m.group(2))), text)
    # flight and other letter-prefixed codes after 航班号/编号: MU5137 -> MU五幺三七
    text = re.sub(r"((?:航班|号|编号|型号)[是为：:]?\s*)([A-Z]{1,3})(\d{3,})(?![\d.])",
                  lambda m: m.group(1) + m.group(2) + digits(m.group(3)), text)
    text = re.sub(r"(?<![A-Za-z])([A-Z]{2})(\d{3,4})(?=次?航班)", lambda m: m.group(1) + digits(m.group(2)), text)
    # train and road numbers: G1234次 -> G幺二三四次, S224省道 -> S二二四省道
    text = re.sub(r"(?<![A-Za-z])([GDCZTKYL])(\d{1,4})(?=次)", lambda m: m.group(1) + digits(m.group(2)), text)
    text = re.sub(r"(?<![A-Za-z])([GSXY])(\d{2,4})(?=\s*(?:国道|省道|县道|高速|线))",
                  lambda m: m.group(1) + digits(m.group(2)), text)
    # units after a number (also after 万/亿: 2.5万m²): said as Chinese words
    text = _UNIT_RE.sub(lambda m: _UNIT_WORDS[m.group(1)], text)
    # year ranges: 2023—2024年度 -> 二零二三至二零二四年度 (a dash is read 至, 到 stays 到)
    text = re.sub(r"(?<!\d)((?:19|20)\d\d)(年?)\s*([-~～—–－至到]{1,2})\s*((?:19|20)\d\d)(?=\s*(?:年|学年|赛季|财年))",
                  lambda m: digits(m.group(1), False) + m.group(2) + ("到" if m.group(3) == "到" else "至")
                  + digits(m.group(4), False), text)
    # date ranges: 1—6月, 10月1日-7日 -> 至
    text = re.sub(r"(?<=[\d年月日号])" + _DASH + r"(?=\d{1,2}\s*" + _DATE_UNIT + ")", "至", text)
    # scores and ratios: 比分21:19, 以3:1战胜, 按1:1 -> 比
    text = re.sub(r"((?:比分|比分为|比分是|总比分|大比分|以)\s*)(\d{1,3})[:：](\d{1,3})(?![\d:：])", r"\1\2比\3", text)
    text = re.sub(r"(?<![\d:：])(\d{1,3})[:：](\d{1,3})(?=\s*(?:战胜|击败|胜|负|取胜|获胜|力克|逆转|落败|告负|的比分|结束))",
                  r"\1比\2", text)
    text = re.sub(r"(?<![\d:：.])(\d{1,3})[:：](\d)(?![\d:：])", r"\1比\2", text)
    # fractions: 约1/3 -> 约3分之1 (the FSTs read 约1/3 as 三分之约一)
    text = re.sub(r"(?<![\d/.])(\d{1,4})/(\d{1,4})(?![\d/])",
                  lambda m: f"{m.group(2)}分之{m.group(1)}" if int(m.group(1)) < int(m.group(2)) else m.group(), text)
    # per mille: -1.2‰ -> 负千分之一点二
    text = re.sub(r"(?<![\d.])([-−－]?)(\d+(?:\.\d+)?)\s*‰", lambda m: ("负" if m.group(1) else "") + "千分之" + m.group(2), text)
    # percentage ranges with one sign: 5-8% -> 5%到8%
    text = re.sub(r"(?<![\d.])(\d+(?:\.\d+)?)\s*([-~～—–]|至|到)\s*(\d+(?:\.\d+)?)\s*([%％])",
                  lambda m: f"{m.group(1)}%{'至' if m.group(2) == '至' else '到'}{m.group(3)}%", text)
    return text


def after_fst(text: str) -> str:
    """Small fixes of the FSTs' output."""
    # -0.3% -> 负百分之零点三, not 百分之负零点三
    text = text.replace("百分之负", "负百分之")
    # 1/2 -> 二分之一 (not 两分之一); 2倍 -> 两倍 (not 二倍)
    text = re.sub(r"(?<![一二三四五六七八九十百千万点])两分之", "二分之", text)
    text = re.sub(r"(?<![一二三四五六七八九十百千万零点])二倍", "两倍", text)
    return text
