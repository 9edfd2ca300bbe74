"""One English word, one meaning: a msgid used in two senses needs a translation context (pgettext).

"Place" was one msgid for the venue of an activity (地点) and for a place won in a lottery, so the
public result labelled winners "地点"; the lottery's column of names was headed "人数". A msgid without
context gets one translation wherever it is used, and the portal's catalogue also overrides the
translation of the same msgid in the admin pages of installed apps (the periodic task's "Name" shown as
"姓名", the import preview's "New" rows as "未读").

The checks read the catalogue (locale/zh_Hans/LC_MESSAGES/django.po) and the sources themselves:

1. each word known to have two meanings in this portal (``DUAL_SENSE``) is never used without a
   context: the test lists every source line that still does;
2. no msgid without context is used both on a line about venues and on one about results;
3. none of those words, without context in our catalogue, overrides a different translation of the same
   msgid in an installed app's catalogue.

A reference of the catalogue counts only while the file still uses the msgid without context, so the
checks follow the sources between two runs of ``makemessages``. Words whose fix belongs to another part
of the portal are listed in ``PENDING`` (strict xfail: fixing one makes its test pass, then fail until
it is taken off the list).
"""

from __future__ import annotations

import ast
import gettext
import re
import sysconfig
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
SOURCE_DIRS = ["portal", "events", "elders", "youth", "employment", "deliberation", "templates"]

#: English words with two meanings in this portal, and the two.
DUAL_SENSE = {
    "Place": "the venue of an activity (地点), or a place won in a lottery (中签)",
    "Order": "the draw order (顺序), or an order placed",
    "Draw": "the lottery draw (抽签), or to draw a picture",
    "Drawn": "the position in the draw (抽签序号), or drawn already",
    "Entry": "a lottery entry (报名), or an entry in a ledger",
    "Entries": "lottery entries (报名数), or ledger entries",
    "Number": "a count (数量), or an identifier (编号)",
    "Count": "a number of things (数量), or to count",
    "Name": "a person's full name (姓名), or the name of a thing (名称)",
    "New": "an unread message (未读), or a new row (新增)",
    "Unread": "not yet read (未读), or an unread count",
    "Date": "a calendar day (日期), or an appointment",
    "Open": "an offer awaiting an answer (待确认), or open for booking",
    "Close": "to close a window (关闭), or near",
    "Closed": "booking closed (已截止), or a closed venue",
    "Book": "to book a place (预约), or a book",
    "Register": "to sign up (注册), or a register (名册)",
    "Result": "the outcome of an entry (结果), or a search result",
    "Seat": "a place in a session (座位), or a seat of an organisation",
    "Station": "a checkpoint of a race (打卡点), or a health station (驿站)",
    "Term": "a solar term (节气), or a school term (学期)",
    "Class": "a course (课程/班), or a category",
    "Persons": "the capacity unit (按人数), or the people of an entry",
    "Hours": "volunteer hours, a duration (时长), or the unit of an interval (小时)",
    "Tier": "a priority tier (优先级), or a level",
    "session": "a session of an activity (场次), or a sign-in session (会话)",
    "sessions": "sessions of an activity (场次), or sign-in sessions (会话)",
    "Sessions": "sessions of an activity (场次), or sign-in sessions (会话)",
}

#: Known uses without context still to be moved to pgettext (strict xfail: remove the entry once fixed).
PENDING: dict[str, str] = {}

#: Of those, the ones whose translation also renames the same msgid of an installed app.
PENDING_OVERRIDES: set[str] = set()

# --- the catalogue and the sources ----------------------------------------------------------------


def po_entries(path: Path = PO) -> list[dict]:
    """[{"msgctxt", "msgid", "msgstr", "refs": [(path, line)]}] of a .po file (obsolete entries left out)."""
    entries, current, key = [], None, None

    def start():
        return {"msgctxt": None, "msgid": None, "msgstr": "", "refs": []}

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#~"):
            continue
        if line.startswith("#:"):
            if current is None or current["msgid"] is not None:
                if current is not None:
                    entries.append(current)
                current = start()
            for ref in line[2:].split():
                file, _, number = ref.rpartition(":")
                current["refs"].append((file, int(number)) if number.isdigit() else (ref, 0))
            continue
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word in ("msgctxt", "msgid"):
            if current is None or (word == "msgctxt" and current["msgid"] is not None):
                if current is not None:
                    entries.append(current)
                current = start()
            elif word == "msgid" and current["msgid"] is not None:
                entries.append(current)
                current = start()
            key = word
            current[word] = ast.literal_eval(rest)
        elif word.startswith("msgstr"):
            key = "msgstr"
            if word in ("msgstr", "msgstr[0]"):
                current["msgstr"] = ast.literal_eval(rest)
            else:
                key = None
        elif word == "msgid_plural":
            key = None
        elif line.startswith('"') and key and current is not None:
            current[key] = (current[key] or "") + ast.literal_eval(line)
    if current is not None:
        entries.append(current)
    return [e for e in entries if e["msgid"]]


def _bare_patterns(msgid: str) -> list[re.Pattern]:
    """A use of ``msgid`` without context: _("x"), gettext_lazy("x"), {% translate "x" %} (no context)."""
    q = re.escape(msgid)
    return [
        re.compile(
            r"(?<![A-Za-z0-9])(?:_|gettext|gettext_lazy|gettext_noop|ngettext|ngettext_lazy)\(\s*"
            rf"(?P<q>[\"']){q}(?P=q)"
        ),
        re.compile(rf"\{{%\s*(?:translate|trans)\s+(?P<q>[\"']){q}(?P=q)(?:(?!\bcontext\b)[^%])*%\}}"),
    ]


_FILES: dict[str, list[str]] = {}


def _lines(relative: str) -> list[str]:
    if relative not in _FILES:
        path = ROOT / relative
        _FILES[relative] = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    return _FILES[relative]


def _source_files() -> list[str]:
    out = []
    for top in SOURCE_DIRS:
        for path in (ROOT / top).rglob("*"):
            if path.suffix in (".py", ".html", ".txt") and "migrations" not in path.parts:
                out.append(str(path.relative_to(ROOT)))
    return sorted(out)


def bare_uses(msgid: str, files: list[str]) -> list[tuple[str, int]]:
    """(file, line) of every use of ``msgid`` without context in ``files`` (the current sources)."""
    patterns = _bare_patterns(msgid)
    hits = []
    for file in files:
        for n, line in enumerate(_lines(file), 1):
            if any(p.search(line) for p in patterns):
                hits.append((file, n))
    return hits


def live_bare_references(msgid: str, entries: list[dict]) -> list[tuple[str, int]]:
    """Where ``msgid`` is used without context: the catalogue's references whose file still does, and
    any new use in the sources (not yet in the catalogue)."""
    files = {f for e in entries if e["msgid"] == msgid and e["msgctxt"] is None for f, _n in e["refs"]}
    files |= set(_source_files())
    return bare_uses(msgid, sorted(files))


@pytest.fixture(scope="module")
def catalogue() -> list[dict]:
    return po_entries(PO)


# --- 1. a word with two meanings always has a context ------------------------------------------------


def _word_params(pending=PENDING):
    for word in DUAL_SENSE:
        marks = (
            [pytest.mark.xfail(strict=True, reason=f"for the lead: {PENDING[word]}")]
            if word in pending
            else []
        )
        yield pytest.param(word, marks=marks, id=word)


@pytest.mark.parametrize("word", list(_word_params()))
def test_a_word_with_two_meanings_is_never_used_without_context(catalogue, word):
    refs = live_bare_references(word, catalogue)
    assert not refs, (
        f'"{word}" ({DUAL_SENSE[word]}) is used without a translation context; use pgettext / '
        '{% translate "..." context "..." %} at: ' + ", ".join(f"{f}:{n}" for f, n in refs)
    )


# --- 2. no msgid without context is both a venue and a result ------------------------------------------

#: Words on a line (or the two before and after) that tell what it is about: the venue of an activity,
#: or the outcome of a lottery entry.
VENUE = re.compile(r"\.place\b|\bplace\s*=|filter_place|venue|地点", re.IGNORECASE)
RESULT = re.compile(r"\bwon\b|\bwinners?\b|中签", re.IGNORECASE)


def _senses_at(file: str, line: int, msgid: str) -> set[str]:
    lines = _lines(file)
    window = " ".join(lines[max(line - 3, 0) : line + 2])
    for pattern in _bare_patterns(msgid):
        window = pattern.sub(" ", window)
    window = window.replace(f'"{msgid}"', " ").replace(f"'{msgid}'", " ")
    senses = set()
    if VENUE.search(window):
        senses.add("venue")
    if RESULT.search(window):
        senses.add("result")
    return senses


def venue_and_result_clashes(entries: list[dict], files: list[str] | None = None) -> dict[str, list]:
    """{msgid: [(file, line, senses)]} for each msgid without context used on a line about venues only
    and on another about results only."""
    clashes = {}
    for entry in entries:
        if entry["msgctxt"] is not None or len(entry["msgid"]) > 40:
            continue
        msgid = entry["msgid"]
        ref_files = sorted({f for f, _n in entry["refs"]} | set(files or []))
        uses = [(f, n, _senses_at(f, n, msgid)) for f, n in bare_uses(msgid, ref_files)]
        if any(s == {"venue"} for *_x, s in uses) and any(s == {"result"} for *_x, s in uses):
            clashes[msgid] = uses
    return clashes


def test_no_msgid_without_context_is_both_a_venue_and_a_result(catalogue):
    assert venue_and_result_clashes(catalogue) == {}


def test_the_venue_and_result_check_finds_the_old_place_clash(tmp_path, monkeypatch):
    """The check itself, on the lines of the old code (a filter label and the result's badge)."""
    (tmp_path / "filters.py").write_text(
        '    place = django_filters.CharFilter(label=_("Place"), method="filter_place")\n'
    )
    (tmp_path / "result.html").write_text(
        "<td data-label=\"{% translate 'Result' %}\">\n"
        '  {% if r.won %}<span class="badge">{% translate "Place" %}</span>\n'
    )
    monkeypatch.setattr("tests.portal.test_msgid_senses.ROOT", tmp_path)
    _FILES.clear()
    try:
        entries = [
            {
                "msgctxt": None,
                "msgid": "Place",
                "msgstr": "地点",
                "refs": [("filters.py", 1), ("result.html", 2)],
            }
        ]
        clashes = venue_and_result_clashes(entries)
        assert [(f, s) for f, _n, s in clashes["Place"]] == [
            ("filters.py", {"venue"}),
            ("result.html", {"result"}),
        ]
        assert bare_uses("Place", ["filters.py", "result.html"]) == [("filters.py", 1), ("result.html", 2)]
        (tmp_path / "result.html").write_text('{% translate "Place" context "lottery result" %}\n')
        _FILES.clear()
        assert venue_and_result_clashes(entries) == {}
    finally:
        _FILES.clear()


# --- 3. our catalogue does not rename another app's word ----------------------------------------------


def _installed_catalogues() -> list[tuple[str, dict]]:
    site = Path(sysconfig.get_paths()["purelib"])
    out = []
    for mo in sorted(site.glob("**/locale/zh_Hans/LC_MESSAGES/django.mo")):
        with mo.open("rb") as f:
            out.append(
                (str(mo.relative_to(site).parent.parent.parent.parent), gettext.GNUTranslations(f)._catalog)
            )
    return out


@pytest.fixture(scope="module")
def installed():
    return _installed_catalogues()


@pytest.mark.parametrize("word", list(_word_params(PENDING_OVERRIDES)))
def test_our_catalogue_does_not_rename_an_installed_apps_word(catalogue, installed, word):
    ours = {e["msgid"]: e["msgstr"] for e in catalogue if e["msgctxt"] is None and e["msgstr"]}
    if word not in ours or not live_bare_references(word, catalogue):
        return
    renamed = [(app, theirs) for app, cat in installed if (theirs := cat.get(word)) and theirs != ours[word]]
    assert not renamed, (
        f'our "{word}" = {ours[word]} overrides '
        + ", ".join(f"{app}: {t}" for app, t in renamed)
        + "; give ours a context"
    )


def test_the_parser_reads_contexts_and_references():
    entries = po_entries(PO)
    place = [e for e in entries if e["msgid"] == "Place"]
    assert place and all(e["refs"] for e in place)
    with_context = [e for e in entries if e["msgctxt"]]
    assert with_context and all(e["msgid"] for e in with_context)
    assert any(e["msgid"] == "Persons" and e["msgctxt"] for e in entries)
    assert len({(e["msgctxt"], e["msgid"]) for e in entries}) == len(
        entries
    )  # one entry per (context, msgid)
