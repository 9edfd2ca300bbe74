"""The area's front door, the class and lecture lists, the staff form of a new class, and attendance per
child per session."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events.models import Activity, CheckIn, Shift
from events.services import booking_create
from portal.accounts.models import Role
from portal.community.models import OrganizationKind
from tests.accounts.factories import UserFactory
from tests.community.factories import OrganizationFactory
from youth.models import Audience, ProgrammeKind, YouthActivity

from ._f_classes import make_class, make_lecture, staff
from .factories import ChildFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english_pages(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def _get(client, url, user=None, status=200):
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    assert response.status_code == status, response.content[:500]
    return response.content.decode()


# --- the front door ------------------------------------------------------------------------------


def test_index_for_anyone_shows_the_sections_and_no_staff_links(client):
    make_class(title="暑期国学诵读班")
    make_lecture(title="家庭教育讲座：好习惯")
    html = _get(client, reverse("youth:index"))
    assert reverse("youth:classes") in html and reverse("youth:lectures") in html
    assert "暑期国学诵读班" in html and "家庭教育讲座：好习惯" in html
    assert 'data-testid="staff-links"' not in html and 'data-testid="my-children"' not in html
    assert reverse("events:shifts") in html


def test_index_for_a_guardian_links_to_her_children(client):
    child = ChildFactory()
    html = _get(client, reverse("youth:index"), user=child.guardian_for_tests.user)
    assert 'data-testid="my-children"' in html and "You are the guardian of 1 child." in html
    assert 'data-testid="staff-links"' not in html


def test_index_for_staff_links_to_the_staff_pages(client):
    html = _get(client, reverse("youth:index"), user=staff())
    assert 'data-testid="staff-links"' in html and reverse("youth:class_new") in html
    assert reverse("youth:roster") in html


def test_index_shows_open_volunteer_shifts_of_youth_activities_only(client):
    youth = make_class(title="暑期绘画班")
    session = youth.activity.sessions.order_by("starts_at").first()
    Shift.objects.create(
        session=session, role="课堂助教", slots=2, starts_at=session.starts_at, ends_at=session.ends_at
    )
    from tests.events.factories import SessionFactory

    other = SessionFactory()
    Shift.objects.create(
        session=other, role="签到台", slots=2, starts_at=other.starts_at, ends_at=other.ends_at
    )
    html = _get(client, reverse("youth:index"))
    assert "课堂助教" in html and "签到台" not in html


def test_a_college_volunteer_takes_a_class_shift_on_the_engines_shift_page(client):
    from tests.community.factories import PersonFactory
    from tests.volunteers.factories import VolunteerProfileFactory

    youth = make_class()
    session = youth.activity.sessions.order_by("starts_at").first()
    shift = Shift.objects.create(
        session=session, role="课堂助教", slots=1, starts_at=session.starts_at, ends_at=session.ends_at
    )
    student = UserFactory(name="南通大学志愿者")
    VolunteerProfileFactory(person=PersonFactory(user=student, name="南通大学志愿者"), team="南通大学青协")
    client.force_login(student)
    assert "课堂助教" in _get(client, reverse("events:shifts"))
    client.post(reverse("events:shift_signup", args=[shift.pk]))
    assert shift.signups.get().volunteer.person.user == student
    client.get(reverse("events:shifts"))  # the flash message is shown there
    shifts = _get(client, reverse("youth:index")).split('data-testid="section-shifts"')[1]
    assert "课堂助教" not in shifts  # no slot left: not shown as open


# --- the lists ---------------------------------------------------------------------------------


def test_classes_list_open_first_with_ages_and_seats_linking_to_the_engine_page(client):
    later = make_class(
        title="晚开的科学课", booking_opens_at=timezone.now() + datetime.timedelta(days=2), days_ahead=20
    )
    open_one = make_class(title="开放的绘画班", capacity=12, days_ahead=25)
    child = ChildFactory()
    booking_create(actor=child.guardian_for_tests.user, activity=open_one.activity, persons=[child])
    make_lecture(title="讲座不在课程列表")
    html = _get(client, reverse("youth:classes"))
    assert html.index("开放的绘画班") < html.index("晚开的科学课")
    assert "讲座不在课程列表" not in html
    assert f'href="{reverse("events:detail", args=[open_one.activity_id])}"' in html
    assert "6 to 12 years" in html
    import re

    card = html.split(f'data-testid="activity-{open_one.activity_id}"')[1].split("</article>")[0]
    assert re.search(r'data-testid="seats-left">\s*11\s*<', card)  # 12 places, one booked
    assert later.activity.title in html


def test_lectures_list(client):
    make_lecture(title="家庭教育讲座：亲子沟通")
    make_class(title="不是讲座")
    html = _get(client, reverse("youth:lectures"))
    assert "家庭教育讲座：亲子沟通" in html and "不是讲座" not in html


def test_lists_cost_the_same_queries_at_2_and_12_classes(client):
    for i in range(2):
        make_class(title=f"课{i}")
    with CaptureQueriesContext(connection) as small:
        _get(client, reverse("youth:classes"))
    for i in range(10):
        make_class(title=f"更多课{i}", audience=Audience.SIBLINGS if i % 2 else Audience.CHILDREN)
    with CaptureQueriesContext(connection) as big:
        _get(client, reverse("youth:classes"))
    assert len(small) == len(big)


# --- a new class or lecture --------------------------------------------------------------------


def _form(**over):
    first = timezone.localdate() + datetime.timedelta(days=14)
    data = {
        "kind": "class",
        "title": "暑期剪纸班",
        "place": "永兴社区活动室",
        "audience": "parent_child",
        "subject": "crafts",
        "speaker": "王老师",
        "min_age": "5",
        "max_age": "10",
        "capacity": "8",
        "first": first.isoformat(),
        "weekdays": ["0", "2"],
        "count": "4",
        "start_time": "14:00",
        "end_time": "15:30",
        "status": "published",
    }
    data.update(over)
    return data


def test_staff_create_a_parent_and_child_class(client):
    client.force_login(staff())
    response = client.post(reverse("youth:class_new"), _form())
    youth = YouthActivity.objects.get()
    assert response.status_code == 302 and response.url == reverse("events:manage", args=[youth.activity_id])
    a = youth.activity
    assert a.adults_accompany and a.sessions.count() == 4 and a.capacity == 8
    assert {timezone.localtime(s.starts_at).weekday() for s in a.sessions.all()} == {0, 2}


def test_a_refused_form_keeps_what_was_typed_and_saves_nothing(client):
    client.force_login(staff())
    response = client.post(reverse("youth:class_new"), _form(max_age="30", end_time="13:00"))
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="error-summary"' in html and "暑期剪纸班" in html
    assert not Activity.objects.exists()
    response = client.post(reverse("youth:class_new"), _form(end_time="13:00"))
    assert response.status_code == 400 and "end after it starts" in response.content.decode()
    assert not Activity.objects.exists() and not YouthActivity.objects.exists()


def test_hostile_input_is_a_form_error(client):
    client.force_login(staff())
    for bad in (
        {"first": "9999-99-99"},
        {"capacity": "-1"},
        {"weekdays": ["9"]},
        {"kind": "x" * 500},
        {"partner": "99999999999999999999"},
    ):
        response = client.post(reverse("youth:class_new"), _form(**bad))
        assert response.status_code == 400
    assert not Activity.objects.exists()


def test_residents_may_not_open_the_form(client):
    client.force_login(UserFactory(role=Role.RESIDENT))
    assert client.get(reverse("youth:class_new")).status_code == 403
    client.logout()
    assert client.get(reverse("youth:class_new")).status_code == 302


def test_school_staff_create_for_their_school(client):
    school = OrganizationFactory(name="开发区实验小学", kind=OrganizationKind.SCHOOL)
    client.force_login(UserFactory(role=Role.PARTNER_STAFF, organization=school))
    response = client.post(reverse("youth:class_new"), _form(audience="children", partner=str(school.pk)))
    assert response.status_code == 302
    youth = YouthActivity.objects.get()
    assert youth.partner == school and youth.activity.organiser_org == school


# --- attendance ----------------------------------------------------------------------------------


def _booked_class(children=2, audience=Audience.PARENT_CHILD, actor=None):
    youth = make_class(audience=audience, actor=actor, capacity=50, min_age=5, max_age=10)
    regs = []
    for _i in range(children):
        child = ChildFactory()
        g = child.guardian_for_tests
        booking = booking_create(actor=g.user, activity=youth.activity, persons=[g, child])
        regs.extend(booking.registrations.all())
    return youth, youth.activity.sessions.order_by("starts_at").first(), regs


def test_staff_tick_children_and_adults_present_once(client):
    youth, session, regs = _booked_class(children=2)
    user = staff()
    url = reverse("youth:attendance", args=[session.pk])
    html = _get(client, url, user=user)
    assert "0 of 4 present" in html and "children: 0 of 2" in html
    response = client.post(url, {"registration": regs[0].pk})
    assert response.status_code == 302
    client.post(url, {"registration": regs[0].pk})  # twice: nothing more
    assert CheckIn.objects.filter(registration=regs[0], session=session).count() == 1
    html = _get(client, url)
    assert "1 of 4 present" in html and f'data-testid="present-{regs[0].pk}"' in html


def test_a_registration_of_another_class_is_refused(client):
    _youth, session, _regs = _booked_class(children=1)
    _other, _s2, other_regs = _booked_class(children=1)
    client.force_login(staff())
    url = reverse("youth:attendance", args=[session.pk])
    response = client.post(url, {"registration": other_regs[0].pk}, follow=True)
    assert "no confirmed place in this class" in response.content.decode()
    for bad in ("abc", "-1", "99999999999999999999999"):
        client.post(url, {"registration": bad})
    assert not CheckIn.objects.exists()


def test_other_organisations_staff_get_404(client):
    group = OrganizationFactory(name="南通大学青年志愿者协会", kind=OrganizationKind.VOLUNTEER_GROUP)
    school = OrganizationFactory(name="开发区实验小学", kind=OrganizationKind.SCHOOL)
    _youth, session, regs = _booked_class(
        children=1, actor=UserFactory(role=Role.PARTNER_STAFF, organization=group)
    )
    url = reverse("youth:attendance", args=[session.pk])
    _get(client, url, user=UserFactory(role=Role.PARTNER_STAFF, organization=school), status=404)
    assert client.post(url, {"registration": regs[0].pk}).status_code == 404
    _get(client, url, user=regs[0].booking.booked_by, status=404)  # a guardian
    assert not CheckIn.objects.exists()
    _get(client, url, user=UserFactory(role=Role.PARTNER_STAFF, organization=group))  # its own staff


def test_attendance_costs_the_same_queries_at_2_and_20_children(client):
    youth, session, _regs = _booked_class(children=2)
    user = staff()
    client.force_login(user)
    url = reverse("youth:attendance", args=[session.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        _get(client, url)
    for _i in range(18):
        child = ChildFactory()
        g = child.guardian_for_tests
        booking_create(actor=g.user, activity=youth.activity, persons=[g, child])
    with CaptureQueriesContext(connection) as big:
        html = _get(client, url)
    assert "children: 0 of 20" in html
    assert len(small) == len(big)


def test_a_day_care_session_is_not_a_class_attendance_page(client):
    from .factories import DaycareProgrammeFactory, today_session

    programme = DaycareProgrammeFactory()
    _get(client, reverse("youth:attendance", args=[today_session(programme).pk]), user=staff(), status=404)
    assert ProgrammeKind.CLASS


def test_index_costs_the_same_queries_at_2_and_12_classes(client):
    child = ChildFactory()
    client.force_login(child.guardian_for_tests.user)
    for i in range(2):
        make_class(title=f"课{i}")
    make_lecture()
    client.get(reverse("youth:index"))
    with CaptureQueriesContext(connection) as small:
        _get(client, reverse("youth:index"))
    for i in range(10):
        youth = make_class(title=f"更多课{i}")
        s = youth.activity.sessions.first()
        Shift.objects.create(session=s, role=f"助教{i}", slots=1, starts_at=s.starts_at, ends_at=s.ends_at)
        make_lecture(title=f"讲座{i}")
    with CaptureQueriesContext(connection) as big:
        _get(client, reverse("youth:index"))
    assert len(small) == len(big)


def test_the_admin_lists_and_filters_classes(admin_client):
    make_class(title="暑期国学诵读班")
    url = reverse("admin:youth_youthactivity_changelist")
    response = admin_client.get(url, {"kind": "class", "q": "国学"})
    assert response.status_code == 200 and "暑期国学诵读班" in response.content.decode()
    youth = YouthActivity.objects.get()
    assert admin_client.get(reverse("admin:youth_youthactivity_change", args=[youth.pk])).status_code == 200


def test_the_list_links_staff_of_a_class_to_its_attendance(client):
    group = OrganizationFactory(name="南通大学青年志愿者协会", kind=OrganizationKind.VOLUNTEER_GROUP)
    ours = make_class(title="青协绘画课", actor=UserFactory(role=Role.PARTNER_STAFF, organization=group))
    theirs = make_class(title="社区国学课")
    first = ours.activity.sessions.order_by("starts_at").first()
    html = _get(
        client, reverse("youth:classes"), user=UserFactory(role=Role.PARTNER_STAFF, organization=group)
    )
    assert f'href="{reverse("youth:attendance", args=[first.pk])}"' in html
    assert f'data-testid="attendance-{theirs.activity_id}"' not in html
    client.logout()
    assert 'data-testid="attendance-' not in _get(client, reverse("youth:classes"))


def test_staff_create_a_lecture_on_one_date(client):
    client.force_login(staff())
    form = _form(kind="lecture", title="家庭教育讲座：亲子沟通", audience="children", weekdays=[], count="")
    response = client.post(reverse("youth:class_new"), form)
    assert response.status_code == 302
    youth = YouthActivity.objects.get()
    assert (youth.kind, youth.audience) == (ProgrammeKind.LECTURE, Audience.GUARDIANS)
    assert youth.activity.sessions.count() == 1 and youth.activity.min_age == 18


def test_an_overflowing_session_id_is_a_404(client):
    _get(client, "/youth/classes/sessions/99999999999999999999999/attendance/", user=staff(), status=404)


def test_staff_find_and_tick_a_walk_in(client):
    _youth, session, regs = _booked_class(children=1)
    walk_in = ChildFactory(name="陈小雨")
    client.force_login(staff())
    url = reverse("youth:attendance", args=[session.pk])
    response = client.get(url, {"q": "陈小雨"})
    html = response.content.decode()
    assert f'data-testid="walk-in-{walk_in.pk}"' in html
    booked_child = next(r.person for r in regs if r.person.age < 18)
    assert f'data-testid="walk-in-{booked_child.pk}"' not in _get(client, url + f"?q={booked_child.name}")
    client.post(url, {"person": walk_in.pk})
    client.post(url, {"person": walk_in.pk})  # twice: one check-in
    assert CheckIn.objects.filter(session=session, registration__person=walk_in).count() == 1
    for bad in ({"q": "\x00"}, {"q": "张" * 5000}, {"q": "-1"}):
        assert client.get(url, bad).status_code in (200, 400)


def test_a_walk_in_outside_her_scope_is_refused(client):
    group = OrganizationFactory(name="南通大学青年志愿者协会", kind=OrganizationKind.VOLUNTEER_GROUP)
    partner = UserFactory(role=Role.PARTNER_STAFF, organization=group)
    _youth, session, _regs = _booked_class(children=1, actor=partner)
    stranger = ChildFactory(name="别家的孩子")
    client.force_login(partner)
    url = reverse("youth:attendance", args=[session.pk])
    assert 'data-testid="walk-in-' not in _get(client, url + "?q=别家的孩子")
    response = client.post(url, {"person": stranger.pk}, follow=True)
    assert "not among the people you serve" in response.content.decode()
    assert not CheckIn.objects.filter(registration__person=stranger).exists()
