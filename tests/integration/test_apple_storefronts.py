"""Apple Music in every storefront, through the fan page, the sandbox and a real RQ worker:
Apple's ids for one ISRC differ per storefront and a library add answers 202 while ignoring
ids the fan's storefront does not know. Each Apple fan's storefront is kept at the pre-save;
on release day each gets their own storefront's id saved, and a fan whose storefront has no
such song is retried, never marked delivered."""
from datetime import timedelta

from sqlalchemy import select

from app.localtime import now_utc
from app.models import Authorization, Fan, StreamingLink
from app.sandbox import state as sandbox
from tests.apple_fans import pre_add
from tests.fan_journey import flashes, start
from tests.release_day_runs import (ctx, new_isrc, reconcile_once, release_now, rows,
                                   run_release_day)

IDS = {"us": "1700000001", "gb": "1700000002", "jp": "1700000003"}


def test_each_fan_gets_their_own_storefronts_id_and_nothing_apple_ignored_is_delivered(
        app, active_release, over_http):
    slug, isrc = active_release(), new_isrc()
    with app.app_context():
        for storefront, item_id in IDS.items():
            sandbox.add_catalog_item("apple_music", isrc=isrc, id=item_id + isrc[-4:],
                                     storefront=storefront, title="Flow Song")
    fans = {storefront: pre_add(app, slug, storefront) for storefront in (*IDS, "fr")}
    with ctx(app) as session:  # each fan's storefront, as Apple said it at the pre-save
        kept = dict(session.execute(
            select(Fan.email, Authorization.storefront)
            .join(Authorization, Authorization.fan_id == Fan.id)
            .where(Fan.email.in_([f"{user}@example.com" for user in fans.values()]))).all())
        assert kept == {f"{user}@example.com": sf for sf, user in fans.items()}
    label_id, release_id = release_now(app, slug, isrc=isrc)
    run_release_day(app, label_id, release_id)

    with app.app_context():
        for storefront, user in fans.items():
            saved = [s["id"] for s in sandbox.saves("apple_music", user)]
            expected = [IDS[storefront] + isrc[-4:]] if storefront in IDS else []
            assert saved == expected, storefront
    apple = [r for r in rows(app, release_id) if r.platform == "apple_music"]
    assert sorted(r.state for r in apple) == ["delivered", "delivered", "delivered", "pending"]
    waiting = next(r for r in apple if r.state == "pending")
    assert waiting.last_error == "not_in_storefront_yet (fr)" and waiting.attempts == 0
    assert waiting.next_attempt_at > now_utc() + timedelta(minutes=10)  # not tried meanwhile
    with ctx(app) as session:
        link = session.scalars(select(StreamingLink).where(
            StreamingLink.release_id == release_id,
            StreamingLink.platform == "apple_music")).one()
        assert link.item_id == IDS["us"] + isrc[-4:]
        assert link.storefront_ids == {"gb": IDS["gb"] + isrc[-4:], "jp": IDS["jp"] + isrc[-4:]}

    release_now(app, slug, isrc=isrc, hours_ago=73)  # 72 hours on, "fr" still lacks the song
    reconcile_once(app)
    gave_up = next(r for r in rows(app, release_id) if r.id == waiting.id)
    assert (gave_up.state, gave_up.last_error) == ("failed", "not_found_in_storefront (fr)")
    with app.app_context():
        assert sandbox.saves("apple_music", fans["fr"]) == []


def test_a_token_apple_refuses_stores_nothing(app, client, active_release):
    slug = active_release()
    refused = start(client, slug, "apple_music", email="nope@example.com",
                    music_user_token="not-a-token")
    assert refused.status_code == 302
    assert "Apple Music didn't sign you in. Please try again." in flashes(client)
    with ctx(app) as session:
        assert session.scalars(select(Fan).where(Fan.email == "nope@example.com")).all() == []
