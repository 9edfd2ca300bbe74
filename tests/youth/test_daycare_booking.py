"""A guardian books the day-care: weeks or the whole programme, her children together, all or nothing."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from events.models import Booking, Registration
from portal.notify.models import Message
from tests.events.factories import TargetGroupFactory
from youth.services.daycare import daycare_book, result_lines

from ._f_daycare import make_programme
from .factories import ChildFactory, book

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(youth_data):
    first = ChildFactory(name="朱小雨")
    second = ChildFactory(
        name="朱小雪", guardian=first.guardian_for_tests, birth_date=datetime.date(2016, 4, 2)
    )
    return first.guardian_for_tests.user, [first, second]


def _weeks(programme):
    return list(programme.weeks.select_related("activity").order_by("number"))


def test_booking_the_whole_programme_books_the_siblings_together_in_each_week(family):
    user, children = family
    programme = make_programme()
    weeks = _weeks(programme)
    results = daycare_book(actor=user, programme=programme, weeks=weeks, children=children)
    assert [r.week.number for r in results] == [1, 2]
    for week in weeks:
        booking = Booking.objects.get(activity=week.activity)  # one booking per week, both children on it
        assert sorted(booking.registrations.values_list("person__name", "status")) == [
            ("朱小雨", "confirmed"),
            ("朱小雪", "confirmed"),
        ]
        assert booking.session_id is None and booking.booked_by == user
    lines = result_lines(results)
    assert lines[0].startswith("Week 1 (12-07–12-11): confirmed: 朱小雨、朱小雪")
    # One summary message to the guardian, whatever the number of weeks (the engine sends none).
    messages = Message.objects.filter(template__code="youth.daycare_booked")
    assert messages.count() == messages.filter(user=user).count() >= 1
    assert len({m.key.rsplit(":", 1)[0] for m in messages}) == 1
    assert "朱小雨" in messages.first().body


def test_booking_one_week_books_only_that_week(family):
    user, children = family
    programme = make_programme()
    week1, week2 = _weeks(programme)
    daycare_book(actor=user, programme=programme, weeks=[week2], children=children[:1])
    assert list(Registration.objects.values_list("activity_id", "person_id", "status")) == [
        (week2.activity_id, children[0].pk, "confirmed")
    ]


def test_a_full_week_waitlists_while_the_others_confirm(family):
    user, children = family
    programme = make_programme(capacity=2)
    week1, week2 = _weeks(programme)
    book(ChildFactory(), week2)  # another family takes one of week 2's two places
    results = daycare_book(actor=user, programme=programme, weeks=[week1, week2], children=children)
    assert results[0].confirmed == ["朱小雨", "朱小雪"] and not results[0].waitlisted
    assert results[1].confirmed == ["朱小雨"] and results[1].waitlisted == [("朱小雪", 1)]
    assert "朱小雪 on the waitlist, number 1" in result_lines(results)[1]


def test_the_early_window_lets_priority_families_book_and_tells_others_the_opening_time(family):
    user, children = family
    group = TargetGroupFactory(name="双职工家庭")
    now = timezone.now()
    opens = now + datetime.timedelta(days=2)
    programme = make_programme(
        early_opens_at=now - datetime.timedelta(hours=1), booking_opens_at=opens, early_group=group
    )
    weeks = _weeks(programme)
    other = ChildFactory(name="王小明")
    with pytest.raises(ValidationError) as exc:
        daycare_book(actor=other.guardian_for_tests.user, programme=programme, weeks=weeks, children=[other])
    text = " ".join(exc.value.message_dict["weeks"])
    assert (
        "Week 1" in text and "王小明" in text and timezone.localtime(opens).strftime("%Y-%m-%d %H:%M") in text
    )
    assert not Booking.objects.exists()
    group.members.add(*children)
    daycare_book(actor=user, programme=programme, weeks=weeks, children=children)
    assert Registration.objects.filter(status="confirmed").count() == 4


def test_a_lottery_programme_takes_applications(family):
    user, children = family
    programme = make_programme(allocation="lottery")
    results = daycare_book(actor=user, programme=programme, weeks=_weeks(programme), children=children)
    assert all(r.applied == ["朱小雨", "朱小雪"] for r in results)
    assert set(Registration.objects.values_list("status", flat=True)) == {"applied"}
    assert "lottery application received" in result_lines(results)[0]


def test_one_child_too_old_books_nothing_in_any_week(family):
    user, children = family
    big = ChildFactory(
        name="朱大宝", guardian=children[0].guardian_for_tests, birth_date=datetime.date(2012, 1, 5)
    )
    programme = make_programme()
    with pytest.raises(ValidationError) as exc:
        daycare_book(actor=user, programme=programme, weeks=_weeks(programme), children=[*children, big])
    text = " ".join(exc.value.message_dict["weeks"])
    assert "Week 1 (12-07–12-11)" in text and "朱大宝" in text and "ages up to 12" in text
    assert not Booking.objects.exists() and not Registration.objects.exists()
    assert not Message.objects.filter(template__code="youth.daycare_booked").exists()


def test_a_refusal_in_the_second_week_undoes_the_first(family):
    user, children = family
    programme = make_programme()
    week1, week2 = _weeks(programme)
    daycare_book(actor=user, programme=programme, weeks=[week2], children=children[:1])
    with pytest.raises(ValidationError) as exc:
        daycare_book(actor=user, programme=programme, weeks=[week1, week2], children=children)
    text = " ".join(exc.value.message_dict["weeks"])
    assert "Week 2" in text and "朱小雨 is already booked" in text
    assert Registration.objects.count() == 1 and Booking.objects.count() == 1  # week 1 not booked


def test_another_familys_child_is_refused(family):
    user, children = family
    stranger = ChildFactory(name="李小花")
    programme = make_programme()
    with pytest.raises(PermissionDenied):
        daycare_book(
            actor=user, programme=programme, weeks=_weeks(programme), children=[children[0], stranger]
        )
    assert not Booking.objects.exists()


def test_a_child_under_14_without_consent_is_refused_by_name(youth_data):
    child = ChildFactory(name="陈小乐", consent=False)
    programme = make_programme()
    with pytest.raises(ValidationError) as exc:
        daycare_book(
            actor=child.guardian_for_tests.user,
            programme=programme,
            weeks=_weeks(programme),
            children=[child],
        )
    assert (
        "陈小乐" in exc.value.message_dict["children"][0]
        and "consent" in exc.value.message_dict["children"][0]
    )
    assert not Booking.objects.exists()


def test_weeks_of_another_programme_and_empty_choices_are_refused(family):
    user, children = family
    programme, other = make_programme(), make_programme(title="另一个")
    with pytest.raises(ValidationError) as exc:
        daycare_book(actor=user, programme=programme, weeks=_weeks(other), children=children)
    assert "weeks" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        daycare_book(actor=user, programme=programme, weeks=[], children=children)
    assert "weeks" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        daycare_book(actor=user, programme=programme, weeks=_weeks(programme), children=[])
    assert "children" in exc.value.message_dict
    assert not Booking.objects.exists()


def test_booking_closed_is_refused_with_the_week(family):
    user, children = family
    now = timezone.now()
    programme = make_programme(
        booking_opens_at=now - datetime.timedelta(days=5), booking_closes_at=now - datetime.timedelta(days=1)
    )
    with pytest.raises(ValidationError) as exc:
        daycare_book(actor=user, programme=programme, weeks=_weeks(programme), children=children)
    assert "Week 1" in " ".join(exc.value.message_dict["weeks"]) and "closed" in " ".join(
        exc.value.message_dict["weeks"]
    )
    assert not Booking.objects.exists()
