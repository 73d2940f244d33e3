"""Account → Webhooks in a real browser, on a phone and a desk: a label admin adds an endpoint,
sends a test event (a real RQ worker posts it to a real receiver) and reads the answer in the
log; no sideways scroll and no serious axe violation."""
from pathlib import Path

import pytest
from rq import SimpleWorker
from sqlalchemy import select

from app.extensions import queue, redis_connection
from app.models import WebhookEndpoint
from app.webhooks import events
from tests.e2e.accessibility import checked_screen
from tests.e2e.signin import sign_in
from tests.release_day_runs import ctx
from tests.webhook_receiver import receiver, signature_ok  # noqa: F401

LOOK_HERE = Path("/tmp/presave-screens")


def _check(page, name):
    checked_screen(page, name, LOOK_HERE)


@pytest.mark.parametrize("size", ["iphone-13", "wide"])
def test_an_admin_adds_an_endpoint_and_reads_its_log(app, open_page, live_server, receiver,
                                                     size):
    page = sign_in(open_page(size), live_server, "owner@northwind.test")
    page.goto(f"{live_server}/webhooks/")
    _check(page, f"webhooks-list-{size}")
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("Description (optional)").fill(f"CRM bridge {size}")
    page.get_by_role("checkbox", name="presave.delivered").uncheck()
    page.get_by_role("button", name="Add endpoint").click()
    page.wait_for_url(lambda url: "/webhooks/" in url and not url.endswith("/webhooks/"))
    endpoint_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    try:
        with ctx(app) as session:
            endpoint = session.get(WebhookEndpoint, endpoint_id)
            assert "presave.delivered" not in endpoint.events and endpoint.active
        page.get_by_text("Show the secret").click()
        secret = page.locator("#webhook-secret").input_value()
        page.get_by_role("button", name="Send test event").click()
        with app.app_context():
            SimpleWorker([queue(events.QUEUE)], connection=redis_connection()).work(burst=True)
        assert [r.json["type"] for r in receiver.requests] == ["webhook.test"]
        assert signature_ok(secret, receiver.requests[0])
        page.reload()
        assert page.locator(".webhook-log li[data-status='200']").count() == 1
        _check(page, f"webhooks-show-{size}")
    finally:
        with ctx(app) as session:
            for row in session.scalars(select(WebhookEndpoint).where(
                    WebhookEndpoint.id == endpoint_id)):
                session.delete(row)
            session.commit()
