"""Chinese text uses full-width punctuation: no ASCII , : ; ? ! ( ) next to a Chinese character in any
msgstr of locale/zh_Hans/LC_MESSAGES/django.po. Placeholders (%(name)s, {{ x }}, {x}), URLs, times
(24:00) and numbers (1,000 / 3.5) are left out of the check, so "%(when)s截止" or "请在10:00前" pass."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"

CJK = "\u3400-\u4dbf\u4e00-\u9fff"  # ideographs (code like "f(x)，" next to full-width punctuation passes)
ASCII_PUNCT = r"[,:;?!()]"
NEXT_TO_CJK = re.compile(rf"[{CJK}]{ASCII_PUNCT}|{ASCII_PUNCT}[{CJK}]")
NEUTRAL = [
    re.compile(r"%\([A-Za-z0-9_]+\)[-#0 +]*\d*(?:\.\d+)?[sdifrxX]"),  # %(name)s
    re.compile(r"%[sd]"),
    re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{[A-Za-z0-9_]*\}"),  # template and str.format placeholders
    re.compile(r"[a-z][a-z0-9+.-]*://\S+|www\.\S+"),  # URLs
    re.compile(r"\d{1,2}:\d{2}"),  # times: 24:00
    re.compile(r"\d+(?:[,.]\d+)+"),  # numbers: 1,000 3.5
]


def _unquote(text: str) -> str:
    return ast.literal_eval(text)


def po_entries(path: Path) -> list[tuple[str, list[str], int]]:
    """``[(msgid, [msgstr, ...], line)]`` of the catalogue (obsolete entries left out)."""
    entries: list[tuple[str, list[str], int]] = []
    msgid, strs, key, line_no = None, {}, None, 0

    def flush():
        if msgid is not None:
            entries.append((msgid, [v for k, v in sorted(strs.items()) if k.startswith("msgstr")], line_no))

    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith('"'):
            if key == "msgid":
                msgid += _unquote(line)
            elif key:
                strs[key] = strs.get(key, "") + _unquote(line)
            continue
        word, _, rest = line.partition(" ")
        if word in ("msgctxt",) or (word == "msgid" and key not in ("msgctxt",)):
            flush()
            msgid, strs, line_no = ("" if word == "msgid" else None), {}, n
        if word == "msgid":
            msgid, key = _unquote(rest), "msgid"
            line_no = n
        elif word == "msgctxt":
            key = "msgctxt"
        elif word == "msgid_plural":
            key = "msgid_plural"
        elif word.startswith("msgstr"):
            key = word
            strs[key] = _unquote(rest)
    flush()
    return entries


def offenders(text: str) -> list[str]:
    for pattern in NEUTRAL:
        text = pattern.sub("X", text)
    return [m.group(0) for m in NEXT_TO_CJK.finditer(text)]


def test_the_checker_itself():
    assert offenders("请注意:明天") == ["意:"]
    assert offenders("您好(张三)") == ["好(", "三)"]
    assert offenders("确定吗?") == ["吗?"]
    assert offenders("%(when)s截止，请在10:00前到达。") == []
    assert offenders("共1,000人（%(n)s）") == []
    assert offenders("详见 https://example.cn/a?b=1,c") == []
    assert offenders("Zhaoxi (朝夕)") == ["(朝", "夕)"]


def test_no_ascii_punctuation_next_to_chinese_in_the_catalogue():
    bad = []
    for msgid, msgstrs, line in po_entries(PO):
        if not msgid:
            continue  # the header
        for msgstr in msgstrs:
            found = offenders(msgstr)
            if found:
                bad.append(f"line {line}: {msgid!r} -> {msgstr!r} ({found})")
    assert not bad, f"{len(bad)} msgstr with ASCII punctuation next to Chinese:\n" + "\n".join(bad)
