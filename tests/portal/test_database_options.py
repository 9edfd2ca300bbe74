"""PostgreSQL connections run without JIT compilation (issue 13: a count with a large cost estimate
spent 0.4 s compiling a query that ran in 20 ms)."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_connections_have_jit_off():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_parameters_are_bound_by_the_server_and_repeated_statements_prepared():
    """Issue 13: the hot statements are neither quoted in Python nor parsed and planned again."""
    connection.ensure_connection()
    raw = connection.connection
    assert type(raw).__name__ == "Connection"
    assert raw.cursor_factory.__name__ == "ServerBindingCursor"
    assert raw.prepare_threshold == 5
    with connection.cursor() as cursor:
        for _ in range(6):
            cursor.execute("SELECT %s::integer + 1", [41])
            assert cursor.fetchone()[0] == 42
        cursor.execute("SELECT count(*) FROM pg_prepared_statements")
        assert cursor.fetchone()[0] >= 1


def _settings_with(value: str):
    import json
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": "postgres://nobody@127.0.0.1:5432/nothing",
        "DJANGO_DB_PREPARE_THRESHOLD": value,
    }
    code = (
        "import json, django; from django.conf import settings; "
        "o = settings.DATABASES['default']['OPTIONS']; "
        "print(json.dumps([o.get('server_side_binding'), o.get('prepare_threshold')]))"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    return done.returncode, (
        json.loads(done.stdout.splitlines()[-1]) if done.returncode == 0 else done.stderr
    )


@pytest.mark.parametrize(("value", "expected"), [("5", [True, 5]), ("12", [True, 12]), ("off", [True, None])])
def test_the_prepare_threshold_can_be_set_or_turned_off(value, expected):
    assert _settings_with(value) == (0, expected)


def test_a_prepare_threshold_that_is_not_a_number_is_refused():
    code, err = _settings_with("often")
    assert code != 0 and "DJANGO_DB_PREPARE_THRESHOLD must be a whole number or 'off'." in err
