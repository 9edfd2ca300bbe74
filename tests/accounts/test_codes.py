"""One-time codes expire after their validity, and a code whose issue time is unknown counts as expired."""

import pytest
from django.urls import reverse

from portal.accounts.codes import SESSION_KEY, code_is_expired
from portal.accounts.models import User
from tests.accounts.conftest import last_code
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def _forget_issue_times(client):
    session = client.session
    session.pop(SESSION_KEY, None)
    session.save()


def test_signup_code_with_unknown_issue_time_is_refused_as_expired(client, sms_outbox):
    data = {
        "name": "王秀英",
        "phone": "139 1234 5678",
        "email": "",
        "password1": "Quiet-river-2046",
        "password2": "Quiet-river-2046",
    }
    client.post(reverse("account_signup"), data)
    code = last_code(sms_outbox)
    _forget_issue_times(client)
    response = client.post(reverse("account_verify_phone"), {"code": code})
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].errors.as_data()["code"]] == ["expired"]
    assert not User.objects.get(phone="+8613912345678").phone_verified


def test_login_code_with_unknown_issue_time_is_refused_as_expired(client, sms_outbox):
    UserFactory(phone="+8613900000001")
    client.post(reverse("account_request_login_code"), {"phone": "13900000001"})
    code = last_code(sms_outbox)
    _forget_issue_times(client)
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].errors.as_data()["code"]] == ["expired"]
    assert "_auth_user_id" not in client.session


def test_code_is_expired_without_a_session_or_record(rf):
    from allauth.core import context

    request = rf.get("/")
    with context.request_context(request):  # no session at all
        assert code_is_expired("123456")
    request.session = {}
    with context.request_context(request):
        assert code_is_expired("123456")
        request.session[SESSION_KEY] = {"123456": __import__("time").time()}
        assert not code_is_expired("123456")
        assert code_is_expired("654321")
