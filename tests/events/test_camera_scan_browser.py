"""Browser journey: staff scan a ticket's QR code with the phone's camera (Chromium's fake camera films
the code as printed on the ticket), at the check-in desk and at a marathon checkpoint. Headless
Chromium on Linux has no BarcodeDetector, so this drives the vendored jsQR decoder path."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from events.models import CapacityUnit, CheckIn, Checkpoint, Stamp
from events.services import booking_create
from tests.browser import E2E, axe_check, go

from .test_checkpoints import today

pytestmark = E2E


@pytest.fixture
def booked(world, fcfs):
    return booking_create(
        actor=world.mum_user,
        activity=fcfs.activity,
        session=fcfs.session,
        persons=[world.son, world.daughter],
    )


def test_staff_check_in_a_ticket_with_the_camera(camera_page, sign_in, world, fcfs, booked):
    page = camera_page(booked.token)
    sign_in(page, world.staff)
    go(page, reverse("events:checkin", args=[fcfs.session.pk]))
    axe_check(page)
    camera = page.get_by_test_id("camera-start")
    assert camera.is_visible()
    with page.expect_navigation(timeout=20_000):
        camera.click()
    with translation.override("zh-hans"):
        done = gettext("Checked in: %(names)s.") % {"names": "、".join([world.son.name, world.daughter.name])}
    assert done in page.locator(".alert").first.inner_text()
    assert CheckIn.objects.filter(registration__booking=booked, session=fcfs.session).count() == 2


def test_a_volunteer_stamps_a_family_at_a_checkpoint_with_the_camera(camera_page, sign_in, world, fcfs):
    fcfs.activity.capacity_unit = CapacityUnit.FAMILY
    fcfs.activity.save(update_fields=["capacity_unit"])
    today(fcfs.session)  # stations accept stamps only while the session runs
    booking = booking_create(
        actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.mum, world.son]
    )
    station = Checkpoint.objects.create(activity=fcfs.activity, name="折返点", position=1)
    page = camera_page(f"https://portal.example/activities/ticket/{booking.token}/")  # a scanned ticket link
    sign_in(page, world.staff)
    go(page, reverse("events:station", args=[station.pk]))
    with page.expect_navigation(timeout=20_000):
        page.get_by_test_id("camera-start").click()
    assert Stamp.objects.filter(checkpoint=station, registration__booking=booking).count() == 2
    axe_check(page)
