"""The youth area's rule on who may be booked together is in force from start-up, before any page loads."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_audience_rule_is_registered_when_django_starts():
    code = (
        "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'portal.settings'); django.setup(); "
        "from events.services import eligibility as e; "
        "print(sorted(f'{r.__module__}.{r.__name__}' for r in e._booking_rules))"
    )
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("PYTEST")}
    env["DJANGO_DEBUG"] = "true"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "youth.services.classes.youth_booking_refusals" in out.stdout
