import pytest
from django.urls import reverse

from tests.community.test_a11y import _login, browser_page  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dbg(world, client, live_server, browser_page, admin_user):  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe
    context, page = browser_page
    logs = []
    page.on("console", lambda m: logs.append(m.text))
    page.add_init_script("document.addEventListener('securitypolicyviolation', e => console.log('VIOL', e.violatedDirective, e.sourceFile, e.lineNumber, e.columnNumber, e.target && (e.target.outerHTML||String(e.target)).slice(0,300)))")
    _login(context, client, live_server, admin_user)
    page.goto(live_server.url + reverse("admin:community_person_change", args=[world.mum.pk]))
    page.wait_for_timeout(500)
    print("BEFORE AXE", len(logs))
    Axe().run(page)
    page.wait_for_timeout(500)
    print("\n".join(logs))
