"""The User admin: list, search by name / phone / e-mail, filters, add and change forms."""

import pytest
from django.urls import reverse

from portal.accounts.models import Role, User
from tests.accounts.factories import UserFactory
from tests.community.factories import GridFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = UserFactory(role=Role.COMMUNITY_STAFF, is_staff=True, is_superuser=True, name="管理员")
    client.force_login(admin)
    return client


def _changelist(client, **params):
    response = client.get(reverse("admin:accounts_user_changelist"), params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_search_by_name_phone_and_email(admin_client):
    wang = UserFactory(name="王秀英", phone="+8613911112222", email="wang@example.com")
    UserFactory(name="李四", phone="+8613933334444")
    assert _changelist(admin_client, q="秀英") == [wang]
    assert _changelist(admin_client, q="13911112222") == [wang]
    assert _changelist(admin_client, q="139 1111 2222") == [wang]
    assert _changelist(admin_client, q="wang@example") == [wang]


def test_filter_by_role_and_grid(admin_client):
    grid = GridFactory()
    worker = UserFactory(role=Role.GRID_WORKER, grid=grid)
    UserFactory(role=Role.RESIDENT)
    assert _changelist(admin_client, role=Role.GRID_WORKER) == [worker]
    assert _changelist(admin_client, grid__id__exact=grid.pk) == [worker]


def test_add_user_in_admin(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "phone": "139 0000 0055",
            "name": "赵六",
            "email": "",
            "role": Role.RESIDENT,
            "usable_password": "true",
            "password1": "Strong-pass-8812",
            "password2": "Strong-pass-8812",
        },
    )
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else response
    )
    user = User.objects.get(phone="+8613900000055")
    assert user.check_password("Strong-pass-8812")


def test_change_form_refuses_grid_worker_without_grid(admin_client):
    user = UserFactory()
    url = reverse("admin:accounts_user_change", args=[user.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "phone": str(user.phone.as_e164),
            "name": user.name,
            "email": "",
            "language": "",
            "role": Role.GRID_WORKER,
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 200
    assert "grid" in response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.role == Role.RESIDENT


def test_residents_cannot_open_the_admin(client):
    client.force_login(UserFactory(role=Role.RESIDENT))
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302


def test_staff_of_other_roles_cannot_manage_accounts(client):
    from django.contrib.auth.models import Permission

    worker = UserFactory(role=Role.GRID_WORKER, grid=GridFactory(), is_staff=True)
    worker.user_permissions.set(Permission.objects.filter(codename__in=["view_user", "change_user"]))
    client.force_login(worker)
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
