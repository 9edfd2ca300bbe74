"""The volunteer hours certificate (志愿服务时长证明) as a PDF, in Chinese.

Only approved hours count. The Chinese text needs an embedded TrueType font: Droid Sans Fallback
(Apache-2.0) is vendored in ``fonts/`` next to this module, so nothing depends on the system's fonts.
The verification code is an HMAC (keyed with SECRET_KEY) of the volunteer, the period and the total, so
the office can recompute it to check that a printed certificate was issued by the portal unaltered.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import io
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import HoursEntry, VolunteerProfile

FONT_NAME = "ZhaoxiDroidSansFallback"
FONT_PATH = Path(__file__).resolve().parent / "fonts" / "DroidSansFallbackFull.ttf"
#: Droid Sans Fallback has the Chinese glyphs but no Latin letters or digits: those are set in the
#: PDF's standard Helvetica (one of the 14 fonts every PDF reader has; nothing to embed).
LATIN_FONT = "Helvetica"


def _register_font():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH)))
    return pdfmetrics.getFont(FONT_NAME)


def _mixed(text: str, cjk) -> str:
    """Paragraph markup of ``text``: runs the Chinese font lacks (digits, Latin) set in Helvetica."""
    from xml.sax.saxutils import escape

    glyphs = cjk.face.charToGlyph
    out, run, run_latin = [], [], None
    for ch in str(text):
        latin = ch != " " and ord(ch) not in glyphs
        if run and latin != run_latin:
            out.append(_run("".join(run), run_latin, escape))
            run = []
        run.append(ch)
        run_latin = latin
    if run:
        out.append(_run("".join(run), run_latin, escape))
    return "".join(out)


def _run(text: str, latin: bool, escape) -> str:
    return f'<font name="{LATIN_FONT}">{escape(text)}</font>' if latin else escape(text)


def verification_code(*, volunteer: VolunteerProfile, date_from, date_to, total: Decimal) -> str:
    message = f"hours-certificate:{volunteer.pk}:{date_from}:{date_to}:{total}".encode()
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest().upper()
    return "-".join(digest[i : i + 4] for i in range(0, 12, 4))


def _community_name() -> str:
    return settings.COMMUNITY_NAME or _("Yongxing Community")


def certificate_pdf(
    *,
    volunteer: VolunteerProfile,
    entries: list[HoursEntry],
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    issued: datetime.date | None = None,
) -> bytes:
    """The certificate of the approved ``entries`` (the caller selects approved ones; others are skipped)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    cjk = _register_font()
    font = FONT_NAME

    def para(text, style):
        return Paragraph(_mixed(text, cjk), style)

    entries = [e for e in entries if e.status == "approved"]
    issued = issued or timezone.localdate()
    if date_from is None and entries:
        date_from = min(e.date for e in entries)
    if date_to is None and entries:
        date_to = max(e.date for e in entries)
    total = sum((e.hours for e in entries), Decimal("0")).quantize(Decimal("0.01"))
    code = verification_code(volunteer=volunteer, date_from=date_from, date_to=date_to, total=total)
    community = _community_name()
    name = volunteer.person.name

    title = ParagraphStyle("title", fontName=font, fontSize=22, leading=30, alignment=1, spaceAfter=6 * mm)
    body = ParagraphStyle("body", fontName=font, fontSize=12, leading=20)
    small = ParagraphStyle("small", fontName=font, fontSize=10, leading=15)
    cell = ParagraphStyle("cell", fontName=font, fontSize=10, leading=13, wordWrap="CJK")

    period = f"{date_from or '—'} ～ {date_to or '—'}"
    story = [
        para(_("Volunteer service hours certificate"), title),
        para(
            _("This is to certify that %(name)s served as a volunteer of %(community)s.")
            % {"name": name, "community": community},
            body,
        ),
        Spacer(1, 3 * mm),
        para(_("Volunteer: %(name)s") % {"name": name}, body),
        para(_("Period: %(period)s") % {"period": period}, body),
        para(_("Approved service hours: %(hours)s") % {"hours": total}, body),
        Spacer(1, 5 * mm),
    ]
    rows = [[para(_("Date"), cell), para(_("Service"), cell), para(_("Hours"), cell)]]
    rows += [[para(str(e.date), cell), para(e.description, cell), para(str(e.hours), cell)] for e in entries]
    rows.append(["", para(_("Total"), cell), para(str(total), cell)])
    table = Table(rows, colWidths=[30 * mm, 110 * mm, 25 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font),
                ("FONTSIZE", (0, 0), (-1, -1), 10),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("ALIGN", (2, 0), (2, -1), "RIGHT"),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ]
        )
    )
    story += [
        table,
        Spacer(1, 8 * mm),
        para(community, body),
        para(_("Issued on: %(date)s") % {"date": issued}, body),
        para(_("Verification code: %(code)s") % {"code": code}, small),
    ]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=_("Volunteer service hours certificate"),
        author=community,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=20 * mm,
        bottomMargin=20 * mm,
    )
    doc.build(story)
    return buffer.getvalue()
