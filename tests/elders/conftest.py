"""Shared fixtures of the elders tests."""

import importlib

import pytest

#: The data migrations of the elders area that ship rows a flushed database (transactional and browser
#: tests) has lost: each may define ``TEMPLATES`` (MessageTemplate rows), ``SERVICES`` (the catalogue) and
#: ``THRESHOLDS`` (screening cut-offs), lists of dicts with the model's fields.
ELDERS_DATA_MIGRATIONS = (
    "elders.migrations.0002_core",
    "elders.migrations.0003_partners",
    "elders.migrations.0004_health",
    "elders.migrations.0005_outreach",
    "elders.migrations.0006_birthdays",
)


def ensure_elders_data():
    """Put back what the elders data migrations ship (and the engine's templates), idempotently."""
    from elders.models import Service, Threshold
    from portal.notify.models import MessageTemplate
    from tests.events.conftest import ensure_message_templates

    ensure_message_templates()
    for name in ELDERS_DATA_MIGRATIONS:
        module = importlib.import_module(name)
        for data in getattr(module, "TEMPLATES", ()):
            MessageTemplate.objects.get_or_create(code=data["code"], defaults=data)
        for data in getattr(module, "SERVICES", ()):
            Service.objects.get_or_create(code=data["code"], defaults=data)
        for data in getattr(module, "THRESHOLDS", ()):
            Threshold.objects.get_or_create(
                measure=data["measure"],
                direction=data["direction"],
                level=data["level"],
                is_active=True,
                defaults=data,
            )


@pytest.fixture
def elders_data(db):
    """The catalogue, the thresholds and the message templates, as the migrations ship them."""
    ensure_elders_data()
