"""The audit trail records the client address the sign-in limits count, not one a client wrote itself.

django-auditlog's own middleware takes the first entry of ``X-Forwarded-For``, so anyone could put any
address in the trail; the portal trusts exactly ``ZHAOXI_TRUSTED_PROXY_COUNT`` proxies (allauth's and axes'
address, ``portal.accounts.ratelimits.client_ip``).
"""

from auditlog.models import LogEntry
from django.urls import reverse

from tests.accounts.factories import UserFactory


def _rename(client, user, name, **headers):
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"), {"name": name, "language": "", "elder_mode": ""}, **headers
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.name == name
    return LogEntry.objects.get_for_object(user).filter(action=LogEntry.Action.UPDATE).latest("timestamp")


def test_without_a_trusted_proxy_a_forged_forwarded_for_is_not_recorded(client, settings, db):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    user = UserFactory(name="周敏")
    entry = _rename(client, user, "周敏敏", HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="198.51.100.7")
    assert entry.remote_addr == "198.51.100.7"


def test_behind_one_trusted_proxy_the_clients_address_is_recorded(client, settings, db):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    user = UserFactory(name="周敏")
    entry = _rename(
        client, user, "周敏敏", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", REMOTE_ADDR="10.0.0.2"
    )
    assert entry.remote_addr == "203.0.113.9"  # the hop the proxy saw, not what the client wrote first
