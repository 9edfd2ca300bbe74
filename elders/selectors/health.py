"""Reads of the health station: the clinics a nurse runs, who is at a clinic, the elders she may record for,
an elder's readings with their charts, the follow-ups a user sees, the thresholds.

Every elder is read through ``elders.selectors.access`` (or is on the clinic's own list); each page costs the
same number of queries at 3 and at 30 attendees (subqueries, select_related).
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass, field

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.dateformat import time_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from events.models import ACTIVE_STATUSES, Area, CheckIn, Registration, RegistrationStatus, Session
from events.selectors import activities_manageable_by
from portal.community.models import ConsentPurpose, Person
from portal.community.search import name_search_q
from portal.community.selectors import has_consent, may_see_sensitive
from portal.db import converted, field_converters
from portal.pagination import requested_page

from ..charts import Chart, RefLine, Series, line_chart
from ..models import (
    Direction,
    FlagLevel,
    FollowUp,
    FollowUpStatus,
    GlucoseTiming,
    Measure,
    Reading,
    ReadingKind,
    Threshold,
)
from ..services.health import may_record_at
from .access import elder_q, elders_visible_to

#: At most this many walk-in search results.
WALKIN_LIMIT = 20
#: The readings page shows (and charts) at most this many readings per kind, newest first.
READINGS_LIMIT = 60


# --- clinics ---------------------------------------------------------------------------------------


def clinic_sessions_for(*, viewer, now: datetime.datetime | None = None) -> QuerySet[Session]:
    """The elders-area sessions the viewer runs, from a week ago to a month ahead, soonest first, with the
    number of elders who came (checked in) and of readings taken. One query."""
    now = now or timezone.now()
    activities = activities_manageable_by(user=viewer).filter(area=Area.ELDERS)
    came = CheckIn.objects.filter(session=OuterRef("pk")).order_by().values("session")
    readings = Reading.objects.filter(session=OuterRef("pk")).order_by().values("session")
    return (
        Session.objects.filter(
            activity__in=activities.values("pk"),
            cancelled=False,
            starts_at__gte=now - datetime.timedelta(days=7),
            starts_at__lte=now + datetime.timedelta(days=31),
        )
        .select_related("activity")
        .annotate(
            came=Coalesce(Subquery(came.annotate(n=Count("pk")).values("n")), 0),
            readings_taken=Coalesce(Subquery(readings.annotate(n=Count("pk")).values("n")), 0),
        )
        .order_by("starts_at", "pk")
    )


def clinic_session_get(*, viewer, session_id) -> Session:
    """A clinic session the viewer may record readings at, or Http404 (another organisation's clinic, a
    session of another area, an id typed by hand)."""
    try:
        session = Session.objects.select_related("activity").get(pk=session_id)
    except (Session.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such clinic.") from None
    if not may_record_at(actor=viewer, session=session):
        raise Http404("No such clinic.")
    return session


def _at_session_q(session: Session) -> Q:
    return Q(session_id=session.pk) | Q(session__isnull=True, activity_id=session.activity_id)


def clinic_attendees(*, session: Session) -> QuerySet[Person]:
    """Everyone booked for the clinic (an active registration) or checked in there, by name, each with
    ``checked_in_at`` and ``readings_here`` (readings taken at this session). A QuerySet; a page of it with
    its length is :func:`clinic_attendees_page` (one query)."""
    came = CheckIn.objects.filter(session=session, registration__person=OuterRef("pk"))
    readings = (
        Reading.objects.filter(session=session, elder=OuterRef("pk"))
        .order_by()
        .values("elder")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        # A correlated EXISTS probed along the (name_pinyin) index: the page's 25 rows are found after a
        # hundred or so people, rather than every registration hashed, joined and sorted (issue 13).
        Person.objects.filter(Exists(_covering_registrations(session).filter(person=OuterRef("pk"))))
        .annotate(
            checked_in_at=Subquery(came.order_by("checked_in_at").values("checked_in_at")[:1]),
            readings_here=Coalesce(Subquery(readings), 0),
        )
        .order_by("name_pinyin", "pk")
    )


def _covering_registrations(session: Session) -> QuerySet[Registration]:
    """The registrations that put someone on the clinic's list: for the session (or the course it belongs
    to), and active, or checked in at the session (a booking cancelled after she came)."""
    came = CheckIn.objects.filter(session=session, registration=OuterRef("pk"))
    return Registration.objects.filter(
        _at_session_q(session), Q(status__in=ACTIVE_STATUSES) | Q(Exists(came))
    ).order_by()


#: The length of the clinic's list without reading it: the active registrations of the session and of
#: the course are one a person each (the engine's partial unique indexes, which answer the first two from
#: the index alone), the second arm without those already on the first; the third arm the few people
#: whose registration is no longer active but who were checked in (through the registrations' pool index),
#: without anyone the first two arms count.
_ATTENDEE_COUNT_SQL = """(
  (SELECT COUNT(*) FROM {reg} a WHERE a.session_id = %(s)s AND a.status IN %(active)s)
  + (SELECT COUNT(*) FROM {reg} c WHERE c.activity_id = %(a)s AND c.session_id IS NULL
       AND c.status IN %(active)s
       AND NOT EXISTS (SELECT 1 FROM {reg} a WHERE a.session_id = %(s)s AND a.person_id = c.person_id
                         AND a.status IN %(active)s))
  + (SELECT COUNT(DISTINCT x.person_id) FROM {reg} x
       WHERE x.activity_id = %(a)s AND (x.session_id = %(s)s OR x.session_id IS NULL)
         AND x.status IN %(inactive)s
         AND EXISTS (SELECT 1 FROM {checkin} k WHERE k.registration_id = x.id AND k.session_id = %(s)s)
         AND NOT EXISTS (SELECT 1 FROM {reg} y WHERE y.person_id = x.person_id AND y.status IN %(active)s
                           AND (y.session_id = %(s)s OR (y.session_id IS NULL AND y.activity_id = %(a)s))))
)"""


def _named_params(template: str, session: Session) -> tuple[str, list]:
    """``template``'s ``%(s)s`` (the session), ``%(a)s`` (its activity), ``%(active)s`` and
    ``%(inactive)s`` (the registration statuses, as a parenthesised list) as positional parameters."""
    active = [str(s) for s in ACTIVE_STATUSES]
    inactive = [str(s) for s in RegistrationStatus.values if s not in active]
    values = {"s": session.pk, "a": session.activity_id}
    params: list = []

    def sub(match) -> str:
        name = match.group(1)
        if name in ("active", "inactive"):
            items = active if name == "active" else inactive
            params.extend(items)
            return "(" + ", ".join(["%s"] * len(items)) + ")"
        params.append(values[name])
        return "%s"

    return re.sub(r"%\((\w+)\)s", sub, template), params


def _attendee_count_sql(session: Session) -> tuple[str, list]:
    """The SQL (a scalar expression) and parameters of the number of people on the clinic's list."""
    template = _ATTENDEE_COUNT_SQL.format(
        reg=connection.ops.quote_name(Registration._meta.db_table),
        checkin=connection.ops.quote_name(CheckIn._meta.db_table),
    )
    return _named_params(template, session)


#: A page of the clinic's list (:func:`clinic_attendees`'s rows, what a row shows), with the list's length
#: on every row: the ORM's query, written once (issue 13: building and compiling it through the ORM cost
#: about three times what PostgreSQL takes to run it). A correlated EXISTS probed along the name index.
_ATTENDEES_PAGE_SQL = """SELECT p.{p_id}, p.{p_name},
  (SELECT k.{k_at} FROM {checkin} k INNER JOIN {reg} r ON k.{k_reg} = r.{r_id}
     WHERE r.{r_person} = p.{p_id} AND k.{k_session} = %(s)s ORDER BY 1 ASC LIMIT 1),
  (SELECT COUNT(*) FROM {reading} g WHERE g.{g_elder} = p.{p_id} AND g.{g_session} = %(s)s),
  {count}
FROM {person} p
WHERE EXISTS (SELECT 1 FROM {reg} v WHERE v.{r_person} = p.{p_id}
  AND (v.{r_session} = %(s)s OR (v.{r_activity} = %(a)s AND v.{r_session} IS NULL))
  AND (v.{r_status} IN %(active)s
       OR EXISTS (SELECT 1 FROM {checkin} u WHERE u.{k_reg} = v.{r_id} AND u.{k_session} = %(s)s)))
ORDER BY p.{p_pinyin} ASC, p.{p_id} ASC"""


@functools.lru_cache(maxsize=4)
def _attendees_page_template(vendor: str) -> str:
    qn = connection.ops.quote_name

    def col(model, name: str) -> str:
        return qn(model._meta.get_field(name).column)

    reg, checkin = qn(Registration._meta.db_table), qn(CheckIn._meta.db_table)
    return _ATTENDEES_PAGE_SQL.format(
        person=qn(Person._meta.db_table),
        reg=reg,
        checkin=checkin,
        reading=qn(Reading._meta.db_table),
        count=_ATTENDEE_COUNT_SQL.format(reg=reg, checkin=checkin),
        p_id=col(Person, "id"),
        p_name=col(Person, "name"),
        p_pinyin=col(Person, "name_pinyin"),
        k_at=col(CheckIn, "checked_in_at"),
        k_reg=col(CheckIn, "registration"),
        k_session=col(CheckIn, "session"),
        r_id=col(Registration, "id"),
        r_person=col(Registration, "person"),
        r_session=col(Registration, "session"),
        r_activity=col(Registration, "activity"),
        r_status=col(Registration, "status"),
        g_elder=col(Reading, "elder"),
        g_session=col(Reading, "session"),
    )


@dataclass
class Attendee:
    """A row of the clinic's list: what :func:`clinic_attendees` gives of her."""

    pk: int
    name: str
    checked_in_at: datetime.datetime | None
    readings_here: int


def _attendees_read(session: Session, *, limit: int, offset: int) -> tuple[list[Attendee], int | None]:
    sql, params = _named_params(_attendees_page_template(connection.vendor), session)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} LIMIT %s OFFSET %s", [*params, limit, offset])
        rows = cursor.fetchall()
    came_in = field_converters(connection.vendor, ((CheckIn, "checked_in_at"),))
    out = []
    for pk, name, came, readings, _count in rows:
        (came,) = converted([came], came_in)
        out.append(Attendee(pk=pk, name=name, checked_in_at=came, readings_here=readings or 0))
    return out, (rows[0][-1] if rows else None)


def clinic_attendees_page(*, session: Session, per_page: int, number) -> Page:
    """The page of :func:`clinic_attendees` that ``Paginator.get_page(number)`` gives (its rows
    :class:`Attendee`), its paginator's ``count`` set: one query for any page that exists, the list's
    length an uncorrelated subquery of it computed once from the registrations' indexes. Past the end (or
    below 1): the list counted on its own, then the last page (``portal.pagination.page_with_count``'s
    rules, which a test holds this to)."""
    requested = requested_page(number, per_page)
    if requested is not None:
        rows, count = _attendees_read(session, limit=per_page, offset=(requested - 1) * per_page)
        if rows or requested == 1:
            paginator = Paginator([], per_page)
            paginator.count = count or 0
            return Page(rows, requested, paginator)
    count_sql, params = _attendee_count_sql(session)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {count_sql}", params)  # noqa: S608 - the models' own names
        count = cursor.fetchone()[0] or 0
    paginator = Paginator([], per_page)
    paginator.count = count
    last = paginator.num_pages
    rows, _count = _attendees_read(session, limit=per_page, offset=(last - 1) * per_page)
    return Page(rows, last, paginator)


def attendee_rows(attendees, *, elder=None) -> list:
    """A page of :func:`clinic_attendees` with what each row says, built once here rather than by the
    template's tags a row (issue 13): ``is_current`` (the elder chosen), ``came_words`` ("Came at 09:05")
    and ``readings_words`` ("2 readings"), with the same msgids as the page had."""
    rows = list(attendees)
    for p in rows:
        p.is_current = elder is not None and elder.pk == p.pk
        p.came_words = (
            _("Came at %(time)s") % {"time": time_format(timezone.localtime(p.checked_in_at), "H:i")}
            if p.checked_in_at
            else ""
        )
        n = p.readings_here
        p.readings_words = (
            ngettext("%(counter)s reading", "%(counter)s readings", n) % {"counter": n} if n else ""
        )
    return rows


def _attendee_registrations(session: Session) -> QuerySet[Registration]:
    """The registrations that put someone on the clinic's list: active at the session, or checked in there.
    One scan of the registrations with the session's check-ins hashed (an uncorrelated IN), rather than a
    UNION of two arms, the second joining every check-in to its registration (issue 13)."""
    came = CheckIn.objects.filter(session=session).values("registration_id")
    return Registration.objects.filter(
        Q(_at_session_q(session), status__in=ACTIVE_STATUSES) | Q(pk__in=came)
    ).order_by()


def _attendee_q(session: Session) -> Q:
    return Q(pk__in=_attendee_registrations(session).values("person_id"))


def clinic_elder_get(*, viewer, session: Session, person_id) -> Person:
    """An elder the nurse may record for at this clinic: one on its list (booked or checked in), or an elder
    she may see (a walk-in, ``elders_visible_to``); else Http404."""
    try:
        pk = int(str(person_id))
    except (ValueError, TypeError, OverflowError):
        raise Http404("No such elder.") from None
    visible = elders_visible_to(viewer=viewer).filter(pk=pk)
    listed = Person.objects.filter(_attendee_q(session), elder_q(), pk=pk, is_active=True)
    try:
        return (
            Person.objects.filter(Q(pk__in=visible.values("pk")) | Q(pk__in=listed.values("pk")))
            .select_related("household__building__grid")
            .get()
        )
    except (Person.DoesNotExist, OverflowError, ValueError):
        raise Http404("No such elder.") from None


def walkin_search(*, viewer, q: str, session: Session | None = None) -> list[Person]:
    """Elders the viewer may see, or (with ``session``) on that clinic's list, whose name matches ``q`` (the
    name, its pinyin "wangxiu" or initials "wx"), at most ``WALKIN_LIMIT``: the way to anyone not on the
    page of the list shown. One query."""
    match = name_search_q((q or "").strip()[:50])
    if match is None:
        return []
    visible = elders_visible_to(viewer=viewer)
    if session is None:
        return list(visible.filter(match).order_by("name_pinyin", "pk")[:WALKIN_LIMIT])
    listed = Person.objects.filter(_attendee_q(session), elder_q(), is_active=True)
    return list(
        Person.objects.filter(Q(pk__in=visible.values("pk")) | Q(pk__in=listed.values("pk")))
        .filter(match)
        .order_by("name_pinyin", "pk")[:WALKIN_LIMIT]
    )


def session_readings_of(*, session: Session, elder: Person) -> list[Reading]:
    """The readings taken of ``elder`` at this clinic, newest first."""
    return list(Reading.objects.filter(session=session, elder=elder).select_related("recorded_by"))


# --- an elder's readings -----------------------------------------------------------------------------


@dataclass
class ReadingsView:
    """What the readings page and the elder page's section show: the readings (newest first), a chart and
    its table per kind that has readings."""

    readings: list[Reading]
    charts: list[tuple[Chart, list[dict]]] = field(default_factory=list)


def may_view_readings(*, viewer, elder: Person) -> bool:
    """A viewer whose role needs health data (``may_see_sensitive``), about an elder with health consent."""
    return may_see_sensitive(viewer=viewer, person=elder) and has_consent(
        person=elder, purpose=ConsentPurpose.HEALTH
    )


def _limit_lines(thresholds: list[Threshold], measures: tuple[str, ...]) -> list[RefLine]:
    out = []
    for t in thresholds:
        if t.is_active and t.measure in measures:
            sign = "≥" if t.direction == Direction.HIGH else "<"
            css = "chart-limit-urgent" if t.level == FlagLevel.URGENT else "chart-limit"
            out.append(RefLine(value=t.limit, label=f"{sign}{_plain(t.limit)}", css=css))
    return out


def _plain(number) -> str:
    return format(number.normalize(), "f")


def elder_readings(*, elder: Person, limit: int = READINGS_LIMIT) -> ReadingsView:
    """The elder's latest readings (at most ``limit``) and a chart for each of blood pressure, glucose,
    heart rate and weight that has any, with threshold lines. Two queries."""
    readings = list(
        Reading.objects.filter(elder=elder).select_related("session__activity", "recorded_by")[:limit]
    )
    thresholds = list(Threshold.objects.filter(is_active=True))
    view = ReadingsView(readings=readings)
    by_kind: dict[str, list[Reading]] = {}
    for r in readings:
        by_kind.setdefault(r.kind, []).append(r)
    if bp := by_kind.get(ReadingKind.BLOOD_PRESSURE):
        chart = line_chart(
            chart_id=f"chart-bp-{elder.pk}",
            title=_("Blood pressure of %(name)s (mmHg)") % {"name": elder.name},
            description=_(
                "Systolic and diastolic pressure over time, with the thresholds; the table below has the same figures."
            ),
            unit="mmHg",
            series=[
                Series(_("Systolic pressure"), "series-systolic", [(r.taken_at, r.value) for r in bp]),
                Series(
                    _("Diastolic pressure"),
                    "series-diastolic",
                    [(r.taken_at, r.value2) for r in bp if r.value2],
                ),
            ],
            lines=_limit_lines(thresholds, (Measure.SYSTOLIC, Measure.DIASTOLIC)),
        )
        view.charts.append((chart, _rows(bp)))
    if glucose := by_kind.get(ReadingKind.GLUCOSE):
        series = []
        for timing, css in (
            (GlucoseTiming.FASTING, "series-fasting"),
            (GlucoseTiming.AFTER_MEAL, "series-after-meal"),
            (GlucoseTiming.RANDOM, "series-random"),
        ):
            points = [(r.taken_at, r.value) for r in glucose if r.glucose_timing == timing]
            if points:
                series.append(Series(GlucoseTiming(timing).label, css, points))
        measures = tuple(
            m
            for m, timing in (
                (Measure.GLUCOSE_FASTING, GlucoseTiming.FASTING),
                (Measure.GLUCOSE_AFTER_MEAL, GlucoseTiming.AFTER_MEAL),
                (Measure.GLUCOSE_RANDOM, GlucoseTiming.RANDOM),
            )
            if any(r.glucose_timing == timing for r in glucose)
        )
        chart = line_chart(
            chart_id=f"chart-glucose-{elder.pk}",
            title=_("Blood glucose of %(name)s (mmol/L)") % {"name": elder.name},
            description=_(
                "Blood glucose over time, by when it was taken, with the thresholds; the table below has the same figures."
            ),
            unit="mmol/L",
            series=series,
            lines=_dedupe(_limit_lines(thresholds, measures)),
        )
        view.charts.append((chart, _rows(glucose)))
    if hr := by_kind.get(ReadingKind.HEART_RATE):
        chart = line_chart(
            chart_id=f"chart-hr-{elder.pk}",
            title=_("Heart rate of %(name)s (beats per minute)") % {"name": elder.name},
            description=_("Heart rate over time, with the thresholds; the table below has the same figures."),
            unit="bpm",
            series=[Series(_("Heart rate"), "series-heart-rate", [(r.taken_at, r.value) for r in hr])],
            lines=_limit_lines(thresholds, (Measure.HEART_RATE,)),
        )
        view.charts.append((chart, _rows(hr)))
    if weight := by_kind.get(ReadingKind.WEIGHT):
        chart = line_chart(
            chart_id=f"chart-weight-{elder.pk}",
            title=_("Weight of %(name)s (kg)") % {"name": elder.name},
            description=_("Weight over time; the table below has the same figures."),
            unit="kg",
            series=[Series(_("Weight"), "series-weight", [(r.taken_at, r.value) for r in weight])],
            lines=[],
        )
        view.charts.append((chart, _rows(weight)))
    return view


def _dedupe(lines: list[RefLine]) -> list[RefLine]:
    seen, out = set(), []
    for line in lines:
        if line.label not in seen:
            seen.add(line.label)
            out.append(line)
    return out


def _rows(readings: list[Reading]) -> list[dict]:
    """The table under a chart, oldest first (as the chart reads)."""
    return [
        {"reading": r, "value": reading_value_text(r), "flags": flag_texts(r)}
        for r in sorted(readings, key=lambda r: (r.taken_at, r.pk))
    ]


UNIT_LABELS = {"bpm": "bpm"}


def reading_value_text(reading: Reading) -> str:
    """ "120/80 mmHg", "6.1 mmol/L (fasting)", "72 bpm", "58.5 kg"."""
    unit = unit_label(reading.unit)
    if reading.kind == ReadingKind.BLOOD_PRESSURE and reading.value2 is not None:
        return f"{_plain(reading.value)}/{_plain(reading.value2)} {unit}"
    text = f"{_plain(reading.value)} {unit}"
    if reading.kind == ReadingKind.GLUCOSE and reading.glucose_timing:
        text += f"（{reading.get_glucose_timing_display()}）"
    return text


def unit_label(unit: str) -> str:
    if unit == "bpm":
        return _("beats/min")
    return unit


def flag_texts(reading: Reading) -> list[dict]:
    """The flags of a reading, each {"level", "text"}: "Systolic pressure 186 mmHg ≥ 180: 收缩压≥180 mmHg（3级
    高血压）". Flags stored as plain labels (older rows, demo data) are shown as they are."""
    out = []
    for flag in reading.flags or []:
        if isinstance(flag, str):
            out.append({"level": reading.level, "text": flag})
            continue
        measure = Measure(flag["measure"]).label if flag.get("measure") in Measure.values else ""
        sign = "≥" if flag.get("direction") == Direction.HIGH else "<"
        unit = unit_label(reading.unit)
        text = f"{measure} {flag.get('value', '')} {unit} {sign} {flag.get('limit', '')}".strip()
        out.append({"level": flag.get("level", reading.level), "text": text, "label": flag.get("label", "")})
    return out


# --- follow-ups -----------------------------------------------------------------------------------------

FOLLOWUP_SHOW = ("mine", "all", "closed")


def may_see_all_followups(viewer) -> bool:
    return bool(viewer.is_community_staff or (viewer.is_grid_worker and viewer.grid_id))


def followups_visible_to(*, viewer, show: str = "mine") -> QuerySet[FollowUp]:
    """``mine``: her open follow-ups; ``all``: every open one she oversees (community staff: all; a grid
    worker: her grid's); ``closed``: the closed ones of that same scope (or her own), newest first."""
    if viewer is None or not viewer.is_authenticated or not viewer.is_active:
        return FollowUp.objects.none()
    qs = FollowUp.objects.select_related(
        "elder__household__building__grid", "assigned_to", "closed_by", "reading__session__activity"
    )
    if show in ("all", "closed") and may_see_all_followups(viewer):
        if not viewer.is_community_staff:
            qs = qs.filter(Q(elder__household__building__grid_id=viewer.grid_id) | Q(assigned_to=viewer))
    else:
        qs = qs.filter(assigned_to=viewer)
    if show == "closed":
        return qs.filter(status=FollowUpStatus.CLOSED).order_by("-closed_at", "-pk")
    return qs.filter(status=FollowUpStatus.OPEN).order_by("due_on", "pk")


def followup_get_for(*, viewer, followup_id) -> FollowUp:
    """A follow-up the viewer may close (hers, or in the scope she oversees), or Http404."""
    try:
        pk = int(str(followup_id))
        return followups_visible_to(viewer=viewer, show="all").filter(pk=pk).first() or followups_visible_to(
            viewer=viewer, show="closed"
        ).get(pk=pk)
    except (FollowUp.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such follow-up.") from None


def open_followups_count(*, viewer) -> int:
    return followups_visible_to(viewer=viewer, show="mine").count()


# --- thresholds -----------------------------------------------------------------------------------------


def thresholds_all() -> QuerySet[Threshold]:
    return Threshold.objects.select_related("updated_by").order_by("measure", "direction", "level", "pk")


def threshold_get(*, viewer, threshold_id) -> Threshold:
    if viewer is None or not viewer.is_authenticated or not viewer.is_community_staff:
        raise Http404("No such threshold.")
    try:
        return thresholds_all().get(pk=int(str(threshold_id)))
    except (Threshold.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such threshold.") from None
