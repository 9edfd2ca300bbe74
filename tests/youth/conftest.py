"""Shared fixtures of the youth tests."""

import importlib

import pytest

#: The data migrations of the youth area that ship rows a flushed database (transactional and browser
#: tests) has lost: each defines ``TEMPLATES`` (MessageTemplate rows).
YOUTH_DATA_MIGRATIONS = (
    "youth.migrations.0002_children",
    "youth.migrations.0003_daycare",
    "youth.migrations.0004_pickup",
    "youth.migrations.0005_classes",
)


def ensure_youth_data():
    """Put back what the youth data migrations ship (and the engine's templates), idempotently."""
    from portal.notify.models import MessageTemplate
    from tests.events.conftest import ensure_message_templates

    ensure_message_templates()
    wanted = [
        data
        for name in YOUTH_DATA_MIGRATIONS
        for data in getattr(importlib.import_module(name), "TEMPLATES", ())
    ]
    codes = {data["code"] for data in wanted}
    if MessageTemplate.objects.filter(code__in=codes).count() == len(codes):
        return  # not flushed: one query instead of one per template
    for data in wanted:
        MessageTemplate.objects.get_or_create(code=data["code"], defaults=data)


@pytest.fixture
def youth_data(db):
    """The message templates, as the migrations ship them."""
    ensure_youth_data()


@pytest.fixture(autouse=True)
def _english():
    """Assertions read the English msgids; the default interface language is Chinese."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _eager_celery():
    from portal.accounts.sms import LocmemSMSBackend
    from portal.celery import app

    was = app.conf.task_always_eager
    app.conf.task_always_eager = True
    LocmemSMSBackend.outbox.clear()
    yield
    app.conf.task_always_eager = was
