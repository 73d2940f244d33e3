"""A user picks the zone the admin shows them times in (Your details); without one, their
label's. A zone that does not exist is refused with the form again, never stored."""
import re

from app.extensions import db
from app.models import PresaveUser
from app.tenants.context import Scope, scoped
from tests.analytics_data import PASSWORD, new_user

TIME = re.compile(r'<time datetime="[^"]+" title="[^"]+ UTC">[^<]+ (\w+)</time>')


def _northwind_staff(app):
    with app.app_context(), scoped(Scope.platform("test")):
        label_id = db.session.scalar(db.select(PresaveUser.label_id).where(
            PresaveUser.email == "staff@northwind.test"))
        email = new_user("Label Staff", label_id)
        db.session.remove()
    return email


def _details(user, zone):
    return user.post("/userinfoeditview/form", data={
        "first_name": "Zoe", "last_name": "Zone", "timezone": zone})


def test_times_follow_the_users_own_zone_else_the_labels(app, login, ledger_release):
    ledger_release()
    user = login(_northwind_staff(app), PASSWORD)
    form = user.get("/userinfoeditview/form").get_data(as_text=True)
    assert '<option selected value="">My label&#39;s zone</option>' in form
    assert set(TIME.findall(user.get("/presaves/list/").get_data(as_text=True))) <= {"GMT", "BST"}
    assert _details(user, "Asia/Tokyo").status_code == 302
    assert set(TIME.findall(user.get("/presaves/list/").get_data(as_text=True))) == {"JST"}
    assert _details(user, "").status_code == 302  # back to the label's
    assert set(TIME.findall(user.get("/presaves/list/").get_data(as_text=True))) <= {"GMT", "BST"}


def test_a_zone_that_does_not_exist_is_refused(app, login):
    email = _northwind_staff(app)
    user = login(email, PASSWORD)
    refused = _details(user, "Mars/Olympus_Mons")
    assert refused.status_code == 422 and "Not a valid choice" in refused.get_data(as_text=True)
    with app.app_context(), scoped(Scope.platform("test")):
        assert db.session.scalar(db.select(PresaveUser.timezone).where(
            PresaveUser.email == email)) is None
