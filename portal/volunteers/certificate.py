"""The volunteer hours certificate (志愿服务时长证明) as a PDF, in Chinese.

Only approved hours count. The Chinese text needs an embedded TrueType font: Droid Sans Fallback
(Apache-2.0) is vendored in ``fonts/`` next to this module, so nothing depends on the system's fonts.
The verification code is an HMAC (keyed with SECRET_KEY) of the volunteer, the period and the total, so
the office can recompute it to check that a printed certificate was issued by the portal unaltered.

Every certificate made is stored (``Certificate``, by :func:`certificate_issue`), and the PDF prints the
address of the public verification page (and a QR code of it with the code filled in): anyone holding
the paper can check the name, the hours, the period and the date issued.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import io
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .models import Certificate, HoursEntry, VolunteerProfile

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


def normalise_code(value: str) -> str:
    """A code as typed ("abcd 1234 ef56", full-width dashes) in the printed form "ABCD-1234-EF56"."""
    chars = "".join(ch for ch in (value or "").upper() if ch.isascii() and ch.isalnum())
    return "-".join(chars[i : i + 4] for i in range(0, len(chars), 4))


def _approved_summary(entries, date_from, date_to):
    entries = [e for e in entries if e.status == "approved"]
    if date_from is None and entries:
        date_from = min(e.date for e in entries)
    if date_to is None and entries:
        date_to = max(e.date for e in entries)
    total = sum((e.hours for e in entries), Decimal("0")).quantize(Decimal("0.01"))
    return entries, date_from, date_to, total


def certificate_issue(
    *,
    volunteer: VolunteerProfile,
    entries: list[HoursEntry],
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    issued: datetime.date | None = None,
) -> Certificate:
    """Store the certificate of the approved ``entries`` (idempotent: the same volunteer, period and
    total give the same code, stored once, keeping the day it was first issued)."""
    _entries, date_from, date_to, total = _approved_summary(entries, date_from, date_to)
    code = verification_code(volunteer=volunteer, date_from=date_from, date_to=date_to, total=total)
    with transaction.atomic():
        certificate, _created = Certificate.objects.get_or_create(
            code=code,
            defaults={
                "volunteer": volunteer,
                "name": volunteer.person.name,
                "date_from": date_from,
                "date_to": date_to,
                "hours": total,
                "issued_on": issued or timezone.localdate(),
            },
        )
    return certificate


def certificate_find(*, code: str) -> Certificate | None:
    """The stored certificate with this verification code (as typed), or None."""
    code = normalise_code(code)
    if not code:
        return None
    return Certificate.objects.filter(code=code).first()


def _qr_drawing(url: str, size):
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    widget = QrCodeWidget(url)
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x2 - x1), 0, 0, size / (y2 - y1), 0, 0])
    drawing.add(widget)
    return drawing


def _community_name() -> str:
    return settings.COMMUNITY_NAME or _("Yongxing Community")


def certificate_pdf(
    *,
    volunteer: VolunteerProfile,
    entries: list[HoursEntry],
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
    issued: datetime.date | None = None,
    certificate: Certificate | None = None,
    verify_url: str = "",
) -> bytes:
    """The certificate of the approved ``entries`` (the caller selects approved ones; others are skipped).

    ``certificate``: the stored one (:func:`certificate_issue`), whose name and date issued are printed;
    ``verify_url``: the absolute address of the verification page, printed with a QR code."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    cjk = _register_font()
    font = FONT_NAME

    def para(text, style):
        return Paragraph(_mixed(text, cjk), style)

    entries, date_from, date_to, total = _approved_summary(entries, date_from, date_to)
    code = verification_code(volunteer=volunteer, date_from=date_from, date_to=date_to, total=total)
    name = volunteer.person.name
    if certificate is not None and certificate.code == code:
        name, issued = certificate.name, certificate.issued_on
    issued = issued or timezone.localdate()
    community = _community_name()

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
    rows = [
        [
            para(pgettext("calendar day", "Date"), cell),
            para(_("Service"), cell),
            para(pgettext("volunteer hours", "Hours"), cell),
        ]
    ]
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
    if verify_url:
        story += [
            para(
                _("Anyone can check this certificate at %(url)s with its verification code.")
                % {"url": verify_url},
                small,
            ),
            Spacer(1, 2 * mm),
            _qr_drawing(f"{verify_url}?code={code}", 30 * mm),
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
