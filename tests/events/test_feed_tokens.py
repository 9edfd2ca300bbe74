"""The personal calendar feed's address is revocable: by its owner ("reset my calendar link", POST with
CSRF), and by any change of her password. The signed user ids of before no longer open any feed."""

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client
from django.urls import reverse

from events.models import FeedKey
from events.services import booking_create, feed_key_reset
from events.views import feed_token_for


@pytest.fixture
def en(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _feed(client, token):
    return client.get(reverse("events:feed", args=[token]))


def test_old_format_tokens_are_refused(en, world, fcfs):
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son])
    for old in (
        signing.dumps(world.mum_user.pk, salt="events.feed"),  # the token of before: valid forever
        signing.dumps(world.mum_user.pk, salt="events.feed.v2"),
        f"{world.mum_user.pk}-",
        "zzzzzzzzzzzzzzzzzz-abc",
    ):
        assert _feed(en, old).status_code == 404, old
    assert _feed(en, feed_token_for(world.mum_user)).status_code == 200


def test_the_owner_resets_her_calendar_link(en, world, fcfs):
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son])
    en.force_login(world.mum_user)
    old = feed_token_for(world.mum_user)
    page = en.get(reverse("events:my_bookings")).content.decode()
    assert reverse("events:feed", args=[old]) in page
    assert reverse("events:feed_reset") in page  # the button sits next to the link
    dads = feed_token_for(world.dad_user)

    response = en.post(reverse("events:feed_reset"), {"next": reverse("events:my_bookings")}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("events:my_bookings")
    assert "Your calendar link has been reset" in response.content.decode()
    new = feed_token_for(world.mum_user)
    assert new != old
    assert reverse("events:feed", args=[new]) in response.content.decode()
    assert _feed(en, old).status_code == 404
    assert _feed(en, new).status_code == 200
    assert _feed(en, dads).status_code == 200  # another user's link is untouched


def test_reset_is_post_only_with_csrf(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.mum_user)
    old = feed_token_for(world.mum_user)
    assert client.get(reverse("events:feed_reset")).status_code == 405
    assert client.post(reverse("events:feed_reset")).status_code == 403  # no CSRF token
    assert feed_token_for(world.mum_user) == old
    assert Client().post(reverse("events:feed_reset")).status_code == 302  # signed out: to sign-in
    assert not FeedKey.objects.exists()


def test_reset_sends_nowhere_but_this_site(en, world):
    en.force_login(world.mum_user)
    response = en.post(reverse("events:feed_reset"), {"next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("events:my_bookings")


def test_a_password_change_kills_every_old_link(en, world, fcfs):
    booking_create(actor=world.mum_user, activity=fcfs.activity, session=fcfs.session, persons=[world.son])
    old = feed_token_for(world.mum_user)
    feed_key_reset(user=world.mum_user)
    after_reset = feed_token_for(world.mum_user)
    world.mum_user.set_password("a-new-secret-2026")
    world.mum_user.save()
    assert _feed(en, old).status_code == 404
    assert _feed(en, after_reset).status_code == 404
    assert _feed(en, feed_token_for(world.mum_user)).status_code == 200


def test_showing_the_link_writes_nothing(en, world):
    en.force_login(world.mum_user)
    assert en.get(reverse("events:my_bookings")).status_code == 200
    assert not FeedKey.objects.exists()
