"""Searching people by name: the pinyin search keys of Chinese names (pypinyin): "张三" → ("zhangsan",
"zs"), and the one name match every person search uses (:func:`name_search_q`)."""

import re

from django.db.models import Q
from django.db.models.lookups import Contains
from pypinyin import Style, lazy_pinyin


def pinyin_keys(name: str) -> tuple[str, str]:
    name = (name or "").strip()
    if not name:
        return "", ""
    full = "".join(lazy_pinyin(name, errors="default")).lower().replace(" ", "")
    initials = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")).lower().replace(" ", "")
    return full[:200], initials[:50]


# --- the one person search: name, pinyin, initials ---------------------------------------------------
# Every search for a person by name goes through these (the workbench's people_search in
# portal.community.selectors, the check-in desk and the stations in events.selectors.checkin_candidates), so
# "sy", "sunyan", "孙" and "孙燕" find the same people wherever they are typed.

_LEADING_TEXT = re.compile(r"^([^\x00-\x7f]+?)(\d.*)$")


def search_tokens(q: str) -> list[str]:
    """The words of a search, at most six; "和谐怡园佳苑3-1-502" is split into estate and address."""
    out = []
    for raw in (q or "").strip()[:100].split():
        m = _LEADING_TEXT.match(raw)
        out.extend(m.groups() if m else [raw])
    return out[:6]


class NameHas(Contains):
    """``name__has``: the name contains the text, as ``name__contains``. On PostgreSQL the name's
    character index answers first (GIN on ``string_to_array(name, NULL)``, migration community 0006):
    the people whose names hold every character of the text, a few index pages, and LIKE then runs on
    them only, not on every row of the registry. A one- or two-character search ("王", "秀英") is too short
    for a trigram index, and is what staff type most (issue 13).

    Registered on ``Person.name`` (``portal.community.apps``)."""

    lookup_name = "has"

    def as_sql(self, compiler, connection):
        return compiler.compile(Contains(self.lhs, self.rhs))

    def as_postgresql(self, compiler, connection):
        like_sql, like_params = self.as_sql(compiler, connection)
        name_sql, name_params = compiler.compile(self.lhs)
        characters = sorted(set(str(self.rhs)))
        return (
            f"(string_to_array({name_sql}, NULL) @> %s::text[] AND {like_sql})",
            (*name_params, characters, *like_params),
        )


def name_token_q(token: str, *, prefix: str = "") -> Q:
    """One word matched against a person's name: Latin letters against the pinyin ("sun", "yan") and
    the initials ("sy"), anything else against the name itself. ``prefix`` reaches the person through a
    relation ("person__")."""
    if token.isascii() and token.isalpha():
        t = token.lower()
        return Q(**{f"{prefix}name_pinyin__contains": t}) | Q(**{f"{prefix}name_initials__startswith": t})
    return Q(**{f"{prefix}name__has": token})


def name_search_q(q: str, *, prefix: str = "") -> Q | None:
    """Every word of ``q`` matches the name (:func:`name_token_q`); None for an empty search."""
    tokens = search_tokens(q)
    if not tokens:
        return None
    match = Q()
    for token in tokens:
        match &= name_token_q(token, prefix=prefix)
    return match
