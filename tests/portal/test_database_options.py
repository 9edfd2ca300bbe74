"""PostgreSQL connections run without JIT compilation (issue 13: a count with a large cost estimate
spent 0.4 s compiling a query that ran in 20 ms)."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_connections_have_jit_off():
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
