"""Oversized uploads get a clear message at the field; nothing is imported."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.community.models import Household
from tests.accounts.factories import UserFactory


@pytest.fixture
def staff_client(client):
    user = UserFactory(role="community_staff", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_oversized_roster_import_is_refused_at_the_field(staff_client, settings):
    settings.MAX_UPLOAD_SIZE = 1024
    big = SimpleUploadedFile(
        "households.csv", b"estate,building,unit,room\n" + b"x" * 4096, content_type="text/csv"
    )
    response = staff_client.post(
        reverse("admin:community_household_import"),
        {"import_file": big, "format": "0", "resource": "0"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["import_file"]
    assert any("can be uploaded" in str(e) or "不能超过" in str(e) for e in errors), errors
    assert Household.objects.count() == 0
