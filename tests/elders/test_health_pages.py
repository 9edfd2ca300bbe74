"""The health station's pages through the test client (in English): the clinic page and its refusals (each
bad input with its message at the field and nothing saved), consent, scoping (404), the query count, the
readings page (chart + table, logged), follow-ups and thresholds; and a Hypothesis property test driving the
readings form and the clinic page with arbitrary text."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from elders import readings as parse
from elders.forms.health import ReadingsForm
from elders.models import ContactPlan, FollowUp, FollowUpStatus, Reading, ReadingKind, Threshold
from elders.services.health import ReadingInput, readings_record
from events.models import CheckIn
from events.services.booking import booking_create_on_behalf
from portal.accounts.models import Role
from portal.community.models import AccessLog, Consent
from tests.accounts.factories import UserFactory
from tests.community.factories import GridFactory, OrganizationFactory

from ._f_health import clinic_session, health_world, more_elder

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def world(elders_data):
    return health_world()


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def clinic_url(world, **params):
    url = reverse("elders:clinic", args=[world.session.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def post(client, world, elder=None, **fields):
    data = {
        "elder": (elder or world.elder).pk,
        "blood_pressure": "",
        "glucose": "",
        "heart_rate": "",
        "weight": "",
    }
    data.update(fields)
    return client.post(reverse("elders:clinic", args=[world.session.pk]), data)


def field_error(response, field: str) -> str:
    """The error shown next to ``field`` (crispy's invalid-feedback block tied to the field)."""
    html = response.content.decode()
    match = re.search(rf'id="error_1_id_{field}"[^>]*>\s*<strong>(.*?)</strong>', html, re.S)
    assert match, f"no error at {field}"
    return re.sub(r"\s+", " ", match.group(1)).strip()


# --- the clinic page ------------------------------------------------------------------------------------


def test_the_nurse_records_a_visit_and_sees_urgent_and_abnormal_flags(en, world):
    en.force_login(world.nurse)
    page = en.get(clinic_url(world))
    assert page.status_code == 200
    response = post(
        en, world, blood_pressure="186/95", heart_rate="72", glucose="6.1", glucose_timing="fasting"
    )
    assert response.status_code == 302
    assert Reading.objects.filter(elder=world.elder).count() == 3
    page = en.get(response["Location"])
    html = page.content.decode()
    assert 'role="alert"' in html and 'data-testid="urgent-alert"' in html
    assert "Systolic pressure 186 mmHg ≥ 180" in html
    assert "Diastolic pressure 95 mmHg ≥ 90" in html
    assert "Recorded 3 reading(s) for 王秀英." in html
    assert CheckIn.objects.filter(session=world.session).count() == 1
    assert FollowUp.objects.get().assigned_to == world.leader


def test_full_width_digits_and_slash_are_read(en, world):
    en.force_login(world.nurse)
    assert post(en, world, blood_pressure="１２０／８０", weight="５８．５").status_code == 302
    bp = Reading.objects.get(kind=ReadingKind.BLOOD_PRESSURE)
    assert (bp.value, bp.value2, bp.unit) == (120, 80, "mmHg")
    assert Reading.objects.get(kind=ReadingKind.WEIGHT).value == D("58.5")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"blood_pressure": "999/0"}, "blood_pressure", "Systolic pressure 999 mmHg is not possible"),
        ({"blood_pressure": "120/80/60"}, "blood_pressure", "systolic/diastolic, e.g. 120/80"),
        ({"blood_pressure": "80/120"}, "blood_pressure", "must be lower than the systolic pressure"),
        ({"blood_pressure": "120/120"}, "blood_pressure", "must be lower than the systolic pressure"),
        ({"blood_pressure": "120/10"}, "blood_pressure", "Diastolic pressure 10 mmHg is not possible"),
        ({"glucose": "abc", "glucose_timing": "fasting"}, "glucose", "Blood glucose: enter a number"),
        ({"glucose": "-5", "glucose_timing": "fasting"}, "glucose", "Blood glucose cannot be negative"),
        ({"glucose": "0", "glucose_timing": "fasting"}, "glucose", "Blood glucose cannot be 0"),
        ({"glucose": "1e309", "glucose_timing": "fasting"}, "glucose", "Blood glucose: enter a number"),
        ({"glucose": "NaN", "glucose_timing": "fasting"}, "glucose", "Blood glucose: enter a number"),
        ({"glucose": "45", "glucose_timing": "fasting"}, "glucose", "between 0.5 and 40 mmol/L"),
        ({"glucose": "6.1"}, "glucose_timing", "Say when the glucose was taken"),
        ({"heart_rate": "72.5"}, "heart_rate", "Heart rate: enter a whole number"),
        ({"heart_rate": "300"}, "heart_rate", "between 20 and 250 bpm"),
        ({"weight": "0"}, "weight", "Weight cannot be 0"),
        ({"weight": "500"}, "weight", "between 10 and 300 kg"),
        ({"weight": "58.55"}, "weight", "Weight: enter a number"),
        ({"blood_pressure": "120/80", "note": "长" * 10_000}, "note", "at most 300 characters"),
        (
            {"blood_pressure": "120/80", "taken_at": "2099-01-01T10:00"},
            "taken_at",
            "cannot be taken in the future",
        ),
        (
            {"blood_pressure": "120/80", "taken_at": "10000-01-01T10:00"},
            "taken_at",
            "Enter a valid date/time",
        ),
    ],
)
def test_impossible_values_are_refused_at_the_field_and_nothing_is_saved(en, world, fields, field, message):
    en.force_login(world.nurse)
    response = post(en, world, **fields)
    assert response.status_code == 200
    assert message in field_error(response, field)
    assert 'data-testid="error-summary"' in response.content.decode()
    assert not Reading.objects.exists() and not CheckIn.objects.exists() and not FollowUp.objects.exists()


def test_at_least_one_reading(en, world):
    en.force_login(world.nurse)
    response = post(en, world)
    assert response.status_code == 200
    assert "Enter at least one reading" in response.content.decode()
    assert not Reading.objects.exists()


def test_one_bad_value_saves_none_of_the_visit(en, world):
    en.force_login(world.nurse)
    response = post(en, world, blood_pressure="130/85", heart_rate="abc")
    assert response.status_code == 200 and not Reading.objects.exists()


def test_without_consent_the_page_says_so_links_the_desk_and_saves_nothing(en, world):
    elder = more_elder(world, "李桂兰", consent=False)
    en.force_login(world.nurse)
    page = en.get(clinic_url(world, elder=elder.pk))
    html = page.content.decode()
    assert 'data-testid="no-consent"' in html and "has not given her consent to health data" in html
    assert 'name="blood_pressure"' not in html
    response = post(en, world, elder=elder, blood_pressure="120/80")
    assert response.status_code == 302
    assert not Reading.objects.exists()


def test_the_list_shows_who_booked_and_the_search_finds_walk_ins_by_pinyin(en, world):
    booked = more_elder(world, "李桂兰")
    booker_session = clinic_session(world.activity, hours_ago=-24)
    booking_create_on_behalf(
        staff=world.staff, activity=world.activity, session=booker_session, persons=[booked]
    )
    en.force_login(world.nurse)
    html = en.get(reverse("elders:clinic", args=[booker_session.pk])).content.decode()
    assert (
        "李桂兰" in html and "王秀英" not in html.split('data-testid="clinic-attendees"')[1].split("</ul>")[0]
    )
    found = en.get(reverse("elders:clinic", args=[booker_session.pk]) + "?q=wangxiu").content.decode()
    assert "王秀英" in found.split('data-testid="walkin-results"')[1]


@pytest.mark.parametrize("who", ["other_partner", "volunteer", "resident", "grid_worker_elsewhere"])
def test_other_users_get_404(client, world, who):
    users = {
        "other_partner": lambda: UserFactory(
            role=Role.PARTNER_STAFF, organization=OrganizationFactory(name="南通申丞小海护理院")
        ),
        "volunteer": lambda: UserFactory(role=Role.VOLUNTEER),
        "resident": lambda: UserFactory(),
        "grid_worker_elsewhere": lambda: UserFactory(
            role=Role.GRID_WORKER,
            grid=GridFactory(),
        ),
    }
    user = users[who]()
    client.force_login(user)
    assert client.get(clinic_url(world)).status_code == 404
    assert post(client, world, blood_pressure="120/80").status_code == 404
    assert client.get(reverse("elders:readings", args=[world.elder.pk])).status_code == 404
    assert not Reading.objects.exists()


def test_an_elder_of_another_organisation_typed_into_the_url_is_404(en, world):
    stranger = more_elder(world, "赵春兰")
    stranger.served_by.clear()
    en.force_login(world.nurse)
    assert en.get(clinic_url(world, elder=stranger.pk)).status_code == 404
    assert post(en, world, elder=stranger, blood_pressure="120/80").status_code == 404
    assert en.get(clinic_url(world, elder="99999999999999999999")).status_code == 404
    assert not Reading.objects.exists()


def test_the_clinic_page_costs_the_same_queries_at_3_and_30_attendees(
    client, world, django_assert_num_queries
):
    session = clinic_session(world.activity, hours_ago=-24)

    def add(n, start):
        elders = [more_elder(world, f"老人{start + i:03d}") for i in range(n)]
        booking_create_on_behalf(staff=world.staff, activity=world.activity, session=session, persons=elders)
        for elder in elders[:2]:
            readings_record(
                actor=world.staff,
                elder=elder,
                session=world.session,
                readings=[ReadingInput(ReadingKind.BLOOD_PRESSURE, D(150), D(95))],
            )
        return elders

    session.capacity = 100
    session.save()
    first = add(3, 0)
    client.force_login(world.nurse)
    url = reverse("elders:clinic", args=[session.pk]) + f"?elder={first[0].pk}&q=lao"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    add(27, 3)
    with django_assert_num_queries(len(small)):
        response = client.get(url)
    assert response.status_code == 200
    listed = response.content.decode().split('data-testid="clinic-attendees"')[1].split("</ul>")[0]
    assert listed.count("<li") == 25  # a page of the list, not all 30
    with django_assert_num_queries(len(small)):
        assert client.get(url + "&page=2").status_code == 200


def test_the_clinic_list_is_paginated_and_anyone_stays_reachable(en, world):
    session = clinic_session(world.activity, hours_ago=-24)
    session.capacity = 100
    session.save()
    elders = [more_elder(world, f"老人{i:03d}") for i in range(30)]
    booking_create_on_behalf(staff=world.staff, activity=world.activity, session=session, persons=elders)
    # one on the list whom the nurse's organisation does not serve: only the list (or the search) finds her
    elders[-1].served_by.clear()
    en.force_login(world.nurse)
    url = reverse("elders:clinic", args=[session.pk])
    first = en.get(url)
    html = first.content.decode()
    assert "At this clinic: 30 elders" in html and 'data-testid="attendees-range"' in html
    listed = html.split('data-testid="clinic-attendees"')[1].split("</ul>")[0]
    assert listed.count("<li") == 25 and "?page=2" in html
    last = elders[-1]
    assert f"?elder={last.pk}" not in html
    second = en.get(url + "?page=2").content.decode()
    listed = second.split('data-testid="clinic-attendees"')[1].split("</ul>")[0]
    assert listed.count("<li") == 5 and f'href="?page=2&amp;elder={last.pk}"' in listed
    # the elder being entered: her panel at any page, and the pages keep her
    chosen = en.get(url + f"?elder={last.pk}&page=2").content.decode()
    assert 'data-testid="elder-panel"' in chosen and 'aria-current="true"' in chosen
    assert f'href="?elder={last.pk}&amp;page=1"' in chosen
    assert 'data-testid="elder-panel"' in en.get(url + f"?elder={last.pk}").content.decode()
    # the name search finds anyone on the list, also on another page (and not only whom she serves)
    found = en.get(url, {"q": "老人029"}).content.decode()
    assert f"?elder={last.pk}" in found.split('data-testid="walkin-results"')[1]


# --- the readings page ------------------------------------------------------------------------------------


def _some_readings(world):
    for days, bp in ((20, (150, 92)), (10, (138, 86)), (0, (186, 112))):
        readings_record(
            actor=world.staff,
            elder=world.elder,
            readings=[
                ReadingInput(ReadingKind.BLOOD_PRESSURE, D(bp[0]), D(bp[1])),
                ReadingInput(ReadingKind.GLUCOSE, D("7.4"), glucose_timing="fasting"),
            ],
            taken_at=timezone.now() - datetime.timedelta(days=days),
        )


def test_staff_see_the_chart_with_the_same_figures_as_a_table_and_the_view_is_logged(en, world):
    _some_readings(world)
    en.force_login(world.staff)
    response = en.get(reverse("elders:readings", args=[world.elder.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('role="img"') == 2  # blood pressure and glucose
    assert "<caption>" in html and 'scope="col"' in html and 'scope="row"' in html
    assert "186/112 mmHg" in html and "150/92 mmHg" in html
    assert " style=" not in html.split("<main")[1]  # nothing inline (CSP)
    assert "<polyline" in html and 'class="chart-limit-urgent"' in html
    assert (
        AccessLog.objects.filter(user=world.staff, person=world.elder, reason="elders:readings").count() == 1
    )


def test_the_grid_worker_and_the_serving_nurse_see_it_a_volunteer_helper_does_not(en, world):
    _some_readings(world)
    for user in (world.leader, world.nurse):
        en.force_login(user)
        assert en.get(reverse("elders:readings", args=[world.elder.pk])).status_code == 200
    helper = UserFactory(role=Role.VOLUNTEER)
    ContactPlan.objects.create(elder=world.elder, assigned_to=helper, due_on=timezone.localdate())
    en.force_login(helper)
    assert en.get(reverse("elders:readings", args=[world.elder.pk])).status_code == 404


def test_without_consent_the_readings_page_shows_nothing_and_logs_nothing(en, world):
    _some_readings(world)
    Consent.objects.filter(person=world.elder).update(withdrawn_at=timezone.now())
    en.force_login(world.staff)
    html = en.get(reverse("elders:readings", args=[world.elder.pk])).content.decode()
    assert 'data-testid="no-consent"' in html and "186/112" not in html
    assert not AccessLog.objects.filter(reason="elders:readings").exists()


def test_the_elder_page_section_shows_the_chart_for_staff_only(world):
    from elders.selectors.section_health import elder_section

    _some_readings(world)
    context = elder_section(viewer=world.staff, elder=world.elder)
    assert context["health"]["consent"] and len(context["health"]["view"].charts) == 2
    assert context["health"]["open_followups"] == 3
    assert elder_section(viewer=UserFactory(role=Role.VOLUNTEER), elder=world.elder) == {}
    assert AccessLog.objects.filter(reason="elders:elder").count() == 1


# --- follow-ups and thresholds ----------------------------------------------------------------------------


def test_follow_ups_mine_and_all_and_closing_with_an_outcome(en, world):
    readings_record(
        actor=world.nurse,
        elder=world.elder,
        session=world.session,
        readings=[ReadingInput(ReadingKind.BLOOD_PRESSURE, D(186), D(95))],
    )
    followup = FollowUp.objects.get()
    en.force_login(world.leader)
    html = en.get(reverse("elders:followups")).content.decode()
    assert "王秀英" in html and "Systolic pressure 186 mmHg ≥ 180" in html
    close = reverse("elders:followup_close", args=[followup.pk])
    response = en.post(close, {"outcome": ""})
    assert response.status_code == 200 and "Say what was done" in field_error(response, "outcome")
    assert en.post(close, {"outcome": "x" * 1001}).status_code == 200
    followup.refresh_from_db()
    assert followup.status == FollowUpStatus.OPEN
    assert en.post(close, {"outcome": "已通知女儿，陪同就医"}).status_code == 302
    followup.refresh_from_db()
    assert followup.status == FollowUpStatus.CLOSED and followup.closed_by == world.leader
    assert "已通知女儿" in en.get(reverse("elders:followups") + "?show=closed").content.decode()
    # Someone else's follow-up is not there for a volunteer.
    en.force_login(UserFactory(role=Role.VOLUNTEER))
    assert en.get(close).status_code == 404
    assert "王秀英" not in en.get(reverse("elders:followups") + "?show=all").content.decode()
    en.force_login(world.staff)
    assert "王秀英" in en.get(reverse("elders:followups") + "?show=closed").content.decode()


def test_thresholds_page_is_for_community_staff_and_edits_are_checked(en, world):
    t = Threshold.objects.get(measure="systolic", direction="high", level="abnormal")
    url = reverse("elders:threshold_edit", args=[t.pk])
    en.force_login(world.nurse)
    assert en.get(reverse("elders:thresholds")).status_code == 404
    assert en.get(url).status_code == 404
    en.force_login(world.staff)
    html = en.get(reverse("elders:thresholds")).content.decode()
    assert "中国高血压防治指南（2018年修订版）" in html
    data = {"limit": "1e309", "level": "abnormal", "label": t.label, "source": t.source, "is_active": "on"}
    assert en.post(url, data).status_code == 200
    data["limit"] = "135"
    data["level"] = "urgent"
    response = en.post(url, data)
    assert "Another active threshold" in field_error(response, "level")
    data["level"] = "abnormal"
    assert en.post(url, data).status_code == 302
    t.refresh_from_db()
    assert t.limit == 135 and t.updated_by == world.staff
    assert "陈善惠" in en.get(reverse("elders:thresholds")).content.decode()


def test_the_station_front_page_lists_my_clinics(en, world):
    en.force_login(world.nurse)
    html = en.get(reverse("elders:health")).content.decode()
    assert world.activity.title in html and reverse("elders:clinic", args=[world.session.pk]) in html
    en.force_login(UserFactory())
    assert en.get(reverse("elders:health")).status_code == 404


# --- property tests ---------------------------------------------------------------------------------------

_TEXT = st.one_of(
    st.text(max_size=30),
    st.from_regex(r"[0-9０-９./／ -]{0,12}", fullmatch=True),
    st.sampled_from(
        ["999/0", "120/80/60", "1e309", "NaN", "-1", "0", "inf", "１２０／８０", "300/200", "50/20"]
    ),
)
_FIELDS = st.fixed_dictionaries(
    {
        "blood_pressure": _TEXT,
        "glucose": _TEXT,
        "glucose_timing": st.sampled_from(["", "fasting", "after_meal", "random", "x"]),
        "heart_rate": _TEXT,
        "weight": _TEXT,
        "taken_at": st.one_of(st.just(""), st.text(max_size=20), st.just("2026-11-18T09:30")),
        "note": st.text(max_size=400),
    }
)
_RANGES = {
    ReadingKind.BLOOD_PRESSURE: (parse.SYSTOLIC, parse.DIASTOLIC),
    ReadingKind.GLUCOSE: (parse.GLUCOSE, None),
    ReadingKind.HEART_RATE: (parse.HEART_RATE, None),
    ReadingKind.WEIGHT: (parse.WEIGHT, None),
}


def _in_range(reading: ReadingInput | Reading) -> bool:
    first, second = _RANGES[reading.kind]
    ok = first.low <= reading.value <= first.high
    if second is not None:
        ok = ok and second.low <= reading.value2 <= second.high and reading.value2 < reading.value
    return ok


@hsettings(database=None, deadline=None, max_examples=200)
@given(data=_FIELDS)
def test_the_readings_form_never_accepts_an_impossible_value(data):
    form = ReadingsForm(data)
    if form.is_valid():
        assert form.cleaned_data["readings"]
        assert all(_in_range(r) for r in form.cleaned_data["readings"])


@hsettings(
    database=None,
    deadline=None,
    max_examples=200,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=_FIELDS)
def test_the_clinic_page_never_answers_500_and_never_saves_an_out_of_range_value(client, world, data):
    client.force_login(world.nurse)
    response = client.post(
        reverse("elders:clinic", args=[world.session.pk]), {"elder": world.elder.pk, **data}
    )
    assert response.status_code in (200, 302)
    assert all(_in_range(r) for r in Reading.objects.all())


HOSTILE = ["0001-01-01", "-1", "99999999999999999999", "²", "\x00", "x" * 5000, ["1", "2"], ""]


def test_hostile_query_strings_at_a_real_clinic_and_the_follow_ups(client, world):
    """tests/portal/test_hostile_params.py reaches the clinic page with a session of another area (a 404);
    here the same values reach a clinic the nurse runs."""
    client.force_login(world.nurse)
    for url, params in (
        (reverse("elders:clinic", args=[world.session.pk]), ("elder", "q")),
        (reverse("elders:followups"), ("show", "page")),
    ):
        for param in params:
            for value in HOSTILE:
                assert client.get(url, {param: value}).status_code in (200, 404), (url, param, value)


def test_the_elder_page_shows_the_health_section_with_its_chart(en, world):
    _some_readings(world)
    en.force_login(world.staff)
    response = en.get(reverse("elders:elder", args=[world.elder.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="health-section"' in html and 'role="img"' in html
    assert reverse("elders:readings", args=[world.elder.pk]) in html
