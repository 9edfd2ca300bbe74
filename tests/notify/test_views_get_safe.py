"""Visiting a page writes nothing.

Every page a resident, a volunteer or a staff member reaches is opened with GET, and the row count of
every model is compared before and after. The only writes a GET may make: opening an inbox message marks
it read, and opening a page that shows sensitive health details leaves the AccessLog row the law asks for
(PIPL: every view of sensitive data is logged).
"""

import pytest
from django.apps import apps
from django.urls import reverse

from events.services import booking_create, venue_code_for
from events.views import feed_token_for
from portal.community.models import AccessLog
from portal.notify.models import Message
from portal.notify.services import message_enqueue
from tests.accounts.factories import UserFactory
from tests.events.conftest import fcfs, world  # noqa: F401  (fixtures)
from tests.events.test_checkpoints import marathon  # noqa: F401  (fixture)

#: Pages whose GET logs a view of sensitive data (one AccessLog row each), by design.
SENSITIVE_VIEWS = {"community:sensitive_edit", "community:workbench_person?sensitive"}


def _counts() -> dict[str, int]:
    return {m._meta.label: m._base_manager.count() for m in apps.get_models()}


@pytest.fixture
def data(world, fcfs, marathon):  # noqa: F811
    booking = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son]
    )
    [message] = message_enqueue(
        key="get-safe:welcome",
        template="account.welcome",
        context={},
        user=world.mum_user,
        channels=["inbox"],
    )
    newcomer = UserFactory(name="新来的")  # an account without a resident record yet
    return {"booking": booking, "message": message, "newcomer": newcomer}


def _resident_pages(world, fcfs, marathon, data):  # noqa: F811
    mum = world.mum
    token = data["booking"].token
    return [
        ("home", reverse("home")),
        ("community:my_family", reverse("community:my_family")),
        ("community:claim_household", reverse("community:claim_household")),
        ("community:dependent_add", reverse("community:dependent_add")),
        ("community:person_edit", reverse("community:person_edit", args=[mum.pk])),
        ("community:person_edit child", reverse("community:person_edit", args=[world.son.pk])),
        ("community:consents", reverse("community:consents", args=[world.son.pk])),
        ("community:emergency_contacts", reverse("community:emergency_contacts", args=[world.granny.pk])),
        ("community:sensitive_edit", reverse("community:sensitive_edit", args=[world.granny.pk])),
        ("community:privacy_notice", reverse("community:privacy_notice")),
        ("notify:inbox", reverse("notify:inbox")),
        ("notify:message", reverse("notify:message", args=[data["message"].pk])),
        ("notify:preferences", reverse("notify:preferences")),
        ("events:list", reverse("events:list")),
        ("events:detail", reverse("events:detail", args=[fcfs.activity.pk])),
        ("events:my_bookings", reverse("events:my_bookings")),
        ("events:ticket", reverse("events:ticket", args=[token])),
        ("events:ticket_ics", reverse("events:ticket_ics", args=[token])),
        ("events:feed", reverse("events:feed", args=[feed_token_for(world.mum_user)])),
        (
            "events:venue_checkin",
            reverse("events:venue_checkin", args=[marathon.activity.pk, venue_code_for(marathon.activity)]),
        ),
        ("events:shifts", reverse("events:shifts")),
        ("volunteers:my_hours", reverse("volunteers:my_hours")),
        ("accounts:profile", reverse("accounts:profile")),
    ]


def _staff_pages(world, fcfs, marathon):  # noqa: F811
    session = fcfs.session
    return [
        ("community:workbench", reverse("community:workbench")),
        ("community:workbench search", reverse("community:workbench") + "?q=1111"),
        ("community:workbench_person", reverse("community:workbench_person", args=[world.granny.pk])),
        (
            "community:workbench_person?sensitive",
            reverse("community:workbench_person", args=[world.granny.pk]) + "?sensitive=1",
        ),
        ("community:claims", reverse("community:claims")),
        ("events:staff_activities", reverse("events:staff_activities")),
        ("events:manage", reverse("events:manage", args=[fcfs.activity.pk])),
        ("events:roster", reverse("events:roster", args=[session.pk])),
        ("events:roster_export", reverse("events:roster_export", args=[session.pk])),
        ("events:session_cancel", reverse("events:session_cancel", args=[session.pk])),
        ("events:session_message", reverse("events:session_message", args=[session.pk])),
        ("events:checkin", reverse("events:checkin", args=[session.pk]) + "?q=张"),
        ("events:onbehalf", reverse("events:onbehalf", args=[fcfs.activity.pk]) + "?q=1111"),
        (
            "events:onbehalf person",
            reverse("events:onbehalf", args=[fcfs.activity.pk]) + f"?person={world.granny.pk}",
        ),
        ("events:checkpoints", reverse("events:checkpoints", args=[marathon.activity.pk])),
        ("events:venue_poster", reverse("events:venue_poster", args=[marathon.activity.pk])),
        ("events:session_shifts", reverse("events:session_shifts", args=[marathon.session.pk])),
        ("events:station", reverse("events:station", args=[marathon.water.pk]) + "?q=小明"),
        ("reports:dashboard", reverse("reports:dashboard")),
        ("volunteers:hours_pending", reverse("volunteers:hours_pending")),
    ]


def _visit(client, pages):
    for name, url in pages:
        before = _counts()
        response = client.get(url)
        assert response.status_code == 200, f"{name}: {response.status_code}"
        after = _counts()
        changed = {label: (before[label], after[label]) for label in before if before[label] != after[label]}
        expected = {"community.AccessLog": (before["community.AccessLog"], before["community.AccessLog"] + 1)}
        assert changed == (expected if name in SENSITIVE_VIEWS else {}), f"GET {name} wrote {changed}"


def test_a_residents_pages_write_nothing(client, world, fcfs, marathon, data):  # noqa: F811
    client.force_login(world.mum_user)
    message = data["message"]
    assert message.read_at is None
    _visit(client, _resident_pages(world, fcfs, marathon, data))
    message.refresh_from_db()
    assert message.read_at is not None  # opening it by GET marked it read, and nothing more


def test_a_new_accounts_pages_write_nothing(client, world, fcfs, marathon, data):  # noqa: F811
    """The first visit of "my family" by an account without a resident record used to create one (and
    its audit entry)."""
    client.force_login(data["newcomer"])
    _visit(
        client,
        [
            ("community:my_family", reverse("community:my_family")),
            ("events:my_bookings", reverse("events:my_bookings")),
            ("notify:inbox", reverse("notify:inbox")),
            ("notify:preferences", reverse("notify:preferences")),
            ("volunteers:my_hours", reverse("volunteers:my_hours")),
        ],
    )


def test_a_volunteers_station_page_writes_nothing(client, world, fcfs, marathon):  # noqa: F811
    client.force_login(marathon.volunteer)
    _visit(
        client,
        [
            ("events:shifts", reverse("events:shifts")),
            ("events:station", reverse("events:station", args=[marathon.water.pk]) + "?q=小明"),
        ],
    )


def test_staff_pages_write_nothing(client, world, fcfs, marathon):  # noqa: F811
    client.force_login(world.staff)
    _visit(client, _staff_pages(world, fcfs, marathon))
    assert AccessLog.objects.filter(user=world.staff).count() == 1


def test_opening_a_message_by_get_changes_only_its_read_flag(client, world, data):  # noqa: F811
    client.force_login(world.mum_user)
    message = data["message"]
    fields = [f.attname for f in Message._meta.concrete_fields if f.attname != "read_at"]
    before = Message.objects.filter(pk=message.pk).values(*fields).get()
    assert client.get(reverse("notify:message", args=[message.pk])).status_code == 200
    assert Message.objects.filter(pk=message.pk).values(*fields).get() == before
    assert Message.objects.get(pk=message.pk).read_at is not None
