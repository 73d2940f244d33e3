"""The delivery ledger on the release page, its JSON, the API and the CSV; warnings ahead.

Pre-saves are written straight into the database in the platform scope, in the
states the release-day engine leaves them in, with the reasons it records.
"""
import csv
import io
from datetime import timedelta

import pytest

from app.extensions import db
from app.releases.ledger import plain_reason
from app.localtime import now_utc
from app.models import Release, StreamingLink
from app.tenants.context import Scope, scoped

STAFF, ARTIST_USER, HARBOR = "staff@northwind.test", "artist@northwind.test", "staff@harbor.test"


def api_get(api, email, path):
    client, headers = api(email)
    return client.get(path, headers=headers)


# Plain words ----------------------------------------------------------------------------------

@pytest.mark.parametrize("code, platform, words", [
    ("authorization_expired_or_revoked", "spotify", "The fan's permission expired or was withdrawn"),
    ("not_on_platform_yet", "tidal", "Not on TIDAL yet; we keep trying for 72 hours"),
    ("not_on_platform_yet (look-up failed: timeout)", "deezer",
     "Not on Deezer yet (the look-up failed: timeout); we keep trying for 72 hours"),
    ("not_found_on_platform", "spotify", "Not found on Spotify within 72 hours"),
    ("gave up after 8 attempts: not_on_platform_yet", "spotify",
     "Gave up after 8 attempts; the last one: Not on Spotify yet"),
    ("gave up after 8 attempts: Bad gateway", "tidal", "Gave up after 8 attempts; the last one: Bad gateway"),
    ("fan_disconnected", "youtube_music", "The fan disconnected YouTube Music"),
    ("reminder_not_sent_yet", "apple_music", "Reminder not sent yet"),
    ("refused by the platform: forbidden", "spotify", "Spotify refused the save: forbidden"),
    ("Server said no", "spotify", "Server said no"),
    (None, "spotify", ""),
])
def test_reasons_in_plain_words(code, platform, words):
    assert plain_reason(code, platform).startswith(words)


# Counts and the list --------------------------------------------------------------------------

def test_counts_by_platform_and_state_with_reminders_apart(app, login, ledger_release):
    release_id = ledger_release()
    data = login(STAFF).get(f"/releases/{release_id}/deliveries.json").get_json()
    saves = {row["platform"]: row for row in data["counts"]["saves"]}
    assert saves["spotify"]["states"] == {"pending": 1, "retrying": 1, "in_progress": 0,
                                          "delivered": 1, "failed": 1, "cancelled": 0}
    assert saves["tidal"]["states"] == {"pending": 0, "retrying": 0, "in_progress": 1,
                                        "delivered": 0, "failed": 1, "cancelled": 1}
    assert (saves["spotify"]["total"], saves["deezer"]["total"]) == (4, 1)
    assert "apple_music" not in saves
    (reminders,) = data["counts"]["reminders"]
    assert (reminders["platform"], reminders["states"]["pending"]) == ("apple_music", 1)
    assert data["live"] is False and data["next_attempt_at"]


def test_release_page_shows_the_panel_list_and_plain_reasons(login, ledger_release):
    release_id = ledger_release()
    html = login(STAFF).get(f"/releases/show/{release_id}").text
    assert 'id="delivery"' in html and "ledger-seg" in html and "deliveries.js" in html
    assert "Ben Retrying" in html and "@fans.test" in html
    assert "The fan&#39;s permission expired or was withdrawn" in html
    assert "Not on Spotify yet; we keep trying for 72 hours" in html
    assert "Gave up after 8 attempts; the last one: Bad gateway" in html
    assert "The fan disconnected TIDAL" in html and "Reminder not sent yet" in html
    assert "=HYPERLINK(&#34;http://evil&#34;)" in html  # escaped as text on the page
    assert f"/releases/{release_id}/deliveries.csv" in html


def test_list_is_searchable_filtered_and_paginated(login, ledger_release):
    release_id = ledger_release()
    staff = login(STAFF)
    page = staff.get(f"/releases/show/{release_id}?q=retry").text
    assert "Ben Retrying" in page and "Ada Pending" not in page
    page = staff.get(f"/releases/show/{release_id}?state=retrying").text
    assert "Ben Retrying" in page and "Ada Pending" not in page
    page = staff.get(f"/releases/show/{release_id}?platform=tidal&state=failed").text
    assert "Gus Tired" in page and "Di Revoked" not in page
    page = staff.get(f"/releases/show/{release_id}?page_size=3&page=3").text
    assert "9 pre-save(s) · page 3 of 3" in page
    assert staff.get(f"/releases/show/{release_id}?state=lost").status_code == 400


def test_artist_users_see_counts_only(login, ledger_release):
    release_id = ledger_release()
    artist = login(ARTIST_USER)
    html = artist.get(f"/releases/show/{release_id}").text
    assert 'id="delivery"' in html and "ledger-seg" in html
    assert "Ben Retrying" not in html and "@fans.test" not in html and "deliveries.csv" not in html
    assert artist.get(f"/releases/{release_id}/deliveries.json").status_code == 200
    assert artist.get(f"/releases/{release_id}/deliveries.csv").status_code == 403


# Warnings -------------------------------------------------------------------------------------

def kinds(warnings, kind):
    return {p for w in warnings if w["kind"] == kind for p in w["platforms"]}


def test_a_grant_that_expires_before_the_release_is_warned(api, login, ledger_release):
    release_id = ledger_release([("Old Grant", "spotify", "save", "pending", 0, None)], days=200)
    body = api_get(api, STAFF, f"/api/v1/releases/{release_id}/deliveries").get_json()
    (warning,) = [w for w in body["warnings"] if w["kind"] == "grants_expire"]
    assert warning["platforms"] == ["spotify"]
    assert "1 pending Spotify pre-save(s)" in warning["what_happens"]
    assert "fail on release day" in warning["what_happens"] and "pre-save again" in warning["what_to_do"]
    html = login(STAFF).get(f"/releases/show/{release_id}").text
    assert "Spotify permissions expire before the release" in html and "What to do:" in html


def test_no_expiry_warning_when_grants_outlive_the_release(api, ledger_release):
    release_id = ledger_release([("Fresh", "spotify", "save", "pending", 0, None)], days=30)
    body = api_get(api, STAFF, f"/api/v1/releases/{release_id}/deliveries").get_json()
    assert kinds(body["warnings"], "grants_expire") == set()


def test_platforms_without_an_item_are_warned_until_a_link_is_found(app, api, ledger_release):
    release_id = ledger_release([])
    body = api_get(api, STAFF, f"/api/v1/releases/{release_id}/deliveries").get_json()
    missing = kinds(body["warnings"], "item_missing")
    assert {"spotify", "tidal", "deezer"} <= missing
    assert "72 hours" in next(w for w in body["warnings"] if w["kind"] == "item_missing")["what_happens"]
    with app.app_context(), scoped(Scope.platform("test")):
        release = db.session.get(Release, release_id)
        db.session.add(StreamingLink(release_id=release_id, label_id=release.label_id,
                                     artist_id=release.artist_id, platform="spotify",
                                     url="https://open.spotify.com/track/x", item_id="x"))
        release.isrc = "USRC12600001"
        db.session.commit()
    body = api_get(api, STAFF, f"/api/v1/releases/{release_id}/deliveries").get_json()
    (missing,) = [w for w in body["warnings"] if w["kind"] == "item_missing"]
    assert missing["platforms"] == ["apple_music", "deezer", "tidal", "youtube_music",
                                    "amazon_music"]
    assert missing["title"] == ("Not found on Apple Music, Deezer, TIDAL, YouTube Music and "
                                "Amazon Music yet")
    assert "USRC12600001" in missing["what_happens"] and "distributor" in missing["what_to_do"]


def test_missing_credentials_and_the_sandbox_are_warned(app, api, ledger_release, monkeypatch):
    release_id = ledger_release([])
    path = f"/api/v1/releases/{release_id}/deliveries"
    body = api_get(api, STAFF, path).get_json()
    assert "spotify" in kinds(body["warnings"], "sandbox")
    monkeypatch.setitem(app.config, "SANDBOX_ENABLED", False)
    body = api_get(api, STAFF, path).get_json()
    assert {"spotify", "apple_music", "tidal"} <= kinds(body["warnings"], "no_credentials")
    warning = next(w for w in body["warnings"] if w["kind"] == "no_credentials")
    assert "Platform credentials" in warning["what_to_do"]


def test_released_releases_have_no_warnings(app, api, ledger_release):
    release_id = ledger_release([])
    with app.app_context(), scoped(Scope.platform("test")):
        release = db.session.get(Release, release_id)
        release.release_at = now_utc() - timedelta(minutes=5)
        db.session.commit()
    body = api_get(api, STAFF, f"/api/v1/releases/{release_id}/deliveries").get_json()
    assert body["warnings"] == []
    assert body["release_id"] == release_id


# The API --------------------------------------------------------------------------------------

def test_api_gives_counts_and_the_paginated_filtered_list(api, ledger_release):
    release_id = ledger_release()
    path = f"/api/v1/releases/{release_id}/deliveries"
    body = api_get(api, STAFF, path + "?page_size=4&page=1").get_json()
    assert set(body) == {"release_id", "counts", "warnings", "fans"}
    assert (body["fans"]["count"], body["fans"]["page"], len(body["fans"]["items"])) == (9, 1, 4)
    item = api_get(api, STAFF, path + "?state=retrying").get_json()["fans"]["items"][0]
    assert item["fan_name"] == "Ben Retrying" and item["attempts"] == 2
    assert item["reason"] == "Not on Spotify yet; we keep trying for 72 hours"
    assert item["reason_code"] == "not_on_platform_yet" and item["state"] == "retrying"
    assert {"fan_email", "platform", "action", "created_at", "updated_at", "next_attempt_at",
            "delivered_at"} <= set(item)
    tidal = api_get(api, STAFF, path + "?platform=tidal").get_json()["fans"]
    assert tidal["count"] == 3 and {i["platform"] for i in tidal["items"]} == {"tidal"}
    bad = api_get(api, STAFF, path + "?page=0")
    assert bad.status_code == 400 and "page" in bad.get_json()["message"]


def test_api_role_limits(api, ledger_release):
    release_id = ledger_release()
    path = f"/api/v1/releases/{release_id}/deliveries"
    artist = api_get(api, ARTIST_USER, path)
    assert artist.status_code == 200
    assert "fans" not in artist.get_json() and artist.get_json()["counts"]["saves"]
    assert "Ben Retrying" not in artist.text
    assert api_get(api, HARBOR, path).status_code == 404
    assert api_get(api, STAFF, "/api/v1/releases/999999/deliveries").status_code == 404


# CSV ------------------------------------------------------------------------------------------

def test_csv_download_escapes_formulas(login, ledger_release):
    release_id = ledger_release()
    response = login(STAFF).get(f"/releases/{release_id}/deliveries.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 9
    evil = next(r for r in rows if "HYPERLINK" in r["Fan"])
    assert evil["Fan"] == "'=HYPERLINK(\"http://evil\")"
    assert evil["Last error"].startswith("Not found on Deezer")
    ben = next(r for r in rows if r["Fan"] == "Ben Retrying")
    assert (ben["State"], ben["Attempts"], ben["Platform"]) == ("Retrying", "2", "Spotify")
    filtered = login(STAFF).get(f"/releases/{release_id}/deliveries.csv?platform=tidal")
    assert filtered.get_data(as_text=True).count("\r\n") == 4  # header and three rows


def test_csv_cells_that_look_like_formulas():
    from app.csv_export import cell

    assert [cell(v) for v in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "ok", 3, None)] == \
        ["'=1+1", "'+1", "'-2", "'@SUM(A1)", "'\tx", "ok", "3", ""]


# Tenants and release day ----------------------------------------------------------------------

def test_another_label_sees_nothing(login, ledger_release):
    release_id = ledger_release()
    harbor = login(HARBOR)
    assert harbor.get(f"/releases/show/{release_id}").status_code == 404
    assert harbor.get(f"/releases/{release_id}/deliveries.json").status_code == 404
    assert harbor.get(f"/releases/{release_id}/deliveries.csv").status_code == 404


def test_own_label_list_holds_only_its_rows(api, ledger_release):
    mine = ledger_release([("Harbor Fan", "spotify", "save", "pending", 0, None)],
                          artist="marlow-shore")
    ledger_release()  # Northwind's rows on another release
    body = api_get(api, HARBOR, f"/api/v1/releases/{mine}/deliveries").get_json()
    assert [i["fan_name"] for i in body["fans"]["items"]] == ["Harbor Fan"]


def test_panel_is_live_on_release_day(app, login, ledger_release):
    release_id = ledger_release(days=0.01)
    staff = login(STAFF)
    assert staff.get(f"/releases/{release_id}/deliveries.json").get_json()["live"] is True
    assert 'data-live="true"' in staff.get(f"/releases/show/{release_id}").text


def test_openapi_describes_deliveries(api):
    spec = api_get(api, STAFF, "/api/v1/_openapi").get_json()
    assert "get" in spec["paths"]["/api/v1/releases/{pk}/deliveries"]
    assert "fans" in spec["components"]["schemas"]["DeliveriesSchema"]["properties"]
