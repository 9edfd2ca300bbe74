"""Project-wide guarantees: migrations match the models, and the Chinese interface is complete."""

from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.mark.django_db
def test_no_model_changes_without_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def _entries(po_text: str):
    """Yield (msgid, msgstr-or-plurals, flags) from a .po file, without a third-party parser."""
    import re

    blocks = po_text.split("\n\n")
    for block in blocks:
        lines = [ln for ln in block.strip().splitlines() if ln and not ln.startswith("#~")]
        flags = " ".join(ln for ln in lines if ln.startswith("#,"))
        body = "\n".join(ln for ln in lines if not ln.startswith("#"))
        m = re.search(r'^msgid ((?:".*"\n?)+)', body, re.M)
        if not m:
            continue
        msgid = "".join(re.findall(r'"(.*)"', m.group(1)))
        ctx = re.search(r'^msgctxt ((?:".*"\n?)+)', body, re.M)
        if ctx:
            msgid = "".join(re.findall(r'"(.*)"', ctx.group(1))) + "\x04" + msgid
        strs = re.findall(r'^msgstr(?:\[\d\])? ((?:".*"\n?)+)', body, re.M)
        values = ["".join(re.findall(r'"(.*)"', s)) for s in strs]
        yield msgid, values, flags


def test_chinese_translation_is_complete():
    text = PO.read_text(encoding="utf-8")
    missing = [msgid for msgid, values, flags in _entries(text) if msgid and (not all(values) or "fuzzy" in flags)]
    assert not missing, f"{len(missing)} untranslated or fuzzy strings in {PO.name}, e.g. {missing[:10]}"


def test_compiled_catalogue_matches_the_source():
    """django.mo (what Django reads) says what django.po says: `make messages` was run after editing."""
    import gettext

    mo = PO.with_suffix(".mo")
    assert mo.exists(), "run `make messages` to compile the catalogue"
    with mo.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    stale = [
        msgid
        for msgid, values, flags in _entries(PO.read_text(encoding="utf-8"))
        if msgid and len(values) == 1 and values[0] and "fuzzy" not in flags
        and catalogue.gettext(_unescape(msgid)) != _unescape(values[0])
    ]
    assert not stale, f"django.mo is out of date for {len(stale)} strings, e.g. {stale[:5]}: run `make messages`"


def _unescape(s: str) -> str:
    import re

    table = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: table.get(m.group(1), m.group(0)), s)
