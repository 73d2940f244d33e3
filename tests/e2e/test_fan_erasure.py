"""A label admin erases a fan on request, in a real browser on a phone and a desk: the reason
is asked, the fan's row empties, the trail keeps who and why; no sideways scroll and no
serious axe violation."""
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models import Artist, AuditEntry, Fan
from tests.e2e.accessibility import checked_screen
from tests.e2e.signin import sign_in
from tests.release_day_runs import ctx

LOOK_HERE = Path("/tmp/presave-screens")


@pytest.mark.parametrize("size", ["iphone-13", "wide"])
def test_a_label_admin_erases_a_fan_with_the_reason(app, open_page, live_server, size):
    email = f"erase-{uuid.uuid4().hex[:8]}@fans.test"
    with ctx(app) as session:
        artist = session.scalars(select(Artist).where(Artist.slug == "aurora-vale")).one()
        fan = Fan(artist_id=artist.id, label_id=artist.label_id, email=email,
                  name="Robin Request", city="Leeds", country="GB")
        session.add(fan)
        session.commit()
        fan_id = fan.id
        start = session.scalar(select(func.max(AuditEntry.id))) or 0  # SQLite reuses fan ids
    page = sign_in(open_page(size), live_server, "owner@northwind.test")
    page.goto(f"{live_server}/fans/show/{fan_id}")
    checked_screen(page, f"fan-erase-{size}", LOOK_HERE)
    page.get_by_label("Reason").fill("Asked by email on 3 March")
    page.get_by_role("button", name="Erase this fan").click()
    page.wait_for_selector(".alert-success")
    assert "The fan is erased" in page.locator(".alert-success").inner_text()
    checked_screen(page, f"fan-erased-{size}", LOOK_HERE)
    with ctx(app) as session:
        erased = session.get(Fan, fan_id)
        assert erased.erased_at is not None and (erased.email, erased.name) == (None, None)
        entry = session.scalars(select(AuditEntry).where(
            AuditEntry.id > start, AuditEntry.action == "fan.erased",
            AuditEntry.object_id == fan_id)).one()
        assert entry.detail["reason"] == "Erased by staff: Asked by email on 3 March"
        assert entry.actor_name == "owner@northwind.test"
