"""Before release day, the release's warnings say when its fans' messages cannot go out, and
to how many fans (GET /api/v1/releases/<id>/deliveries, as the release page shows them)."""
from sqlalchemy import select

from app.models import Release
from tests.message_runs import texting_fan
from tests.release_day_runs import ctx, remind_me
from tests.sms_gateway import PATH as SMS_PATH


def warnings(api, app, slug, who="owner@northwind.test"):
    with ctx(app) as session:
        release_id = session.scalar(select(Release.id).where(Release.slug == slug))
    client, headers = api(who)
    answer = client.get(f"/api/v1/releases/{release_id}/deliveries", headers=headers)
    assert answer.status_code == 200
    return {w["kind"]: w for w in answer.get_json()["warnings"]}


def test_email_not_set_up_names_the_fans_it_affects(app, api, active_release):
    slug = active_release()
    assert "email_not_set_up" not in warnings(api, app, slug)  # nobody to write to yet
    remind_me(app, slug)
    remind_me(app, slug, "tidal")
    found = warnings(api, app, slug)["email_not_set_up"]
    assert found["title"] == "Email is not set up"
    assert found["what_happens"].startswith("2 fans will be written to by email on release day")
    assert found["what_to_do"] == ("Ask whoever runs this Presave instance to set up email "
                                   "(SMTP_HOST and its login).")
    staff = warnings(api, app, slug, "staff@northwind.test")["email_not_set_up"]
    assert staff["what_to_do"].startswith("Ask your label admin")


def test_email_to_the_mail_catcher_is_said_to_stay_here(app, api, active_release, smtp_server,
                                                        monkeypatch):
    smtp_server()
    slug = active_release()
    remind_me(app, slug)
    found = warnings(api, app, slug)
    assert "email_not_set_up" not in found
    assert found["email_caught"]["title"] == "Email stays on this machine"
    monkeypatch.setitem(app.config, "MAIL_CATCHER_DIR", None)  # a real mail server
    assert not {"email_caught", "email_not_set_up"} & warnings(api, app, slug).keys()


def test_fans_with_only_a_phone_need_an_sms_provider(app, api, active_release, monkeypatch):
    slug = active_release()
    texting_fan(app, slug)
    found = warnings(api, app, slug)["sms_not_set_up"]
    assert found["what_happens"].startswith("1 fan left only a phone number")
    monkeypatch.setitem(app.config, "SMS_PROVIDER", SMS_PATH)
    assert "sms_not_set_up" not in warnings(api, app, slug)
