"""What the service areas keep about a person's health, erased when the platform's rules say so (PIPL
art. 47), found the way the dashboard finds ``stats.py``.

The protocol
------------
An installed app that keeps health data of its own (an elder's blood-pressure readings and the follow-ups
they created) puts a ``privacy.py`` module next to its ``models.py`` with any of::

    def erase_health(*, person) -> None: ...        # her health consent was withdrawn: delete it all
    def sensitive_changed(*, person) -> None: ...   # her sensitive profile changed (recompute what follows)
    def erase_minor(*, person) -> None: ...         # the child-data consent of a child under 14 was
                                                    # withdrawn: delete what is kept beyond name and age

The platform calls them inside the transaction of the change (``consent_withdraw``,
``sensitive_profile_update``, ``consent_withdraw_at_desk``), so the erasure is all or nothing with the
withdrawal. ``portal`` imports no service area: the modules are found by name (``<app>.privacy``).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import module_has_submodule

MODULE_NAME = "privacy"

_modules: list | None = None


def discover(*, refresh: bool = False) -> list:
    """The ``privacy`` modules of the installed apps, in app order."""
    global _modules
    if _modules is not None and not refresh:
        return _modules
    found = []
    for config in apps.get_app_configs():
        # The project's own apps only (a third-party package's "privacy" module is not this protocol).
        path = Path(config.path)
        if not path.is_relative_to(settings.BASE_DIR) or "site-packages" in path.parts:
            continue
        if not module_has_submodule(config.module, MODULE_NAME):
            continue
        found.append(import_module(f"{config.name}.{MODULE_NAME}"))
    _modules = found
    return found


def call_hooks(name: str, **kwargs) -> int:
    """Call ``name(**kwargs)`` of every app's privacy module that defines it; returns how many ran."""
    ran = 0
    for module in discover():
        fn = getattr(module, name, None)
        if callable(fn):
            fn(**kwargs)
            ran += 1
    return ran


def erase_health(*, person) -> int:
    """Every app erases what it keeps of her health (her health consent was withdrawn)."""
    return call_hooks("erase_health", person=person)


def sensitive_changed(*, person) -> int:
    """Every app hears that her sensitive profile changed or was deleted."""
    return call_hooks("sensitive_changed", person=person)


def erase_minor(*, person) -> int:
    """Every app erases what it keeps of a child under 14 beyond her name and age (her guardian withdrew
    the child-data consent)."""
    return call_hooks("erase_minor", person=person)
