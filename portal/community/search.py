"""Pinyin search keys for Chinese names (pypinyin): "张三" → ("zhangsan", "zs")."""

from pypinyin import Style, lazy_pinyin


def pinyin_keys(name: str) -> tuple[str, str]:
    name = (name or "").strip()
    if not name:
        return "", ""
    full = "".join(lazy_pinyin(name, errors="default")).lower().replace(" ", "")
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")).lower().replace(" ", "")
    return full[:200], initials[:50]
