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
    modules = [importlib.import_module(name) for name in ELDERS_DATA_MIGRATIONS]
    codes = {d["code"] for m in modules for d in getattr(m, "TEMPLATES", ())}
    services = {d["code"] for m in modules for d in getattr(m, "SERVICES", ())}
    thresholds = sum(len(getattr(m, "THRESHOLDS", ())) for m in modules)
    if (
        MessageTemplate.objects.filter(code__in=codes).count() == len(codes)
        and Service.objects.filter(code__in=services).count() == len(services)
        and Threshold.objects.filter(is_active=True).count() >= thresholds
    ):
        return  # not flushed: the migrations' rows are there (three queries instead of one per row)
    for module in modules:
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
