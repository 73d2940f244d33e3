"""Fan page events: scripted visits from known places become exactly the expected Event rows."""
from datetime import timedelta

import pytest

from app import create_app
from app import visitors
from app.analytics import capture
from app.extensions import queue, redis_connection
from app.localtime import frozen, now_utc
from tests.event_stream import (AMSTERDAM, ANDROID_TABLET, BOTS, DESKTOP, INSTAGRAM, IPHONE,
                                MINNEAPOLIS, OXFORD, STOCKHOLM, SYDNEY, drain, events_of,
                                visitor)
from tests.fan_journey import page, sandbox_decision

COLUMNS = ("kind", "platform", "city", "country", "utm_source", "utm_medium", "utm_campaign",
           "referrer", "device_class", "in_app_browser")


def rows(app, slug):
    return [tuple(getattr(e, c) for c in COLUMNS) for e in events_of(app, slug)]


def test_scripted_visits_become_the_expected_events(app, active_release, unique):
    slug = active_release()
    # Amsterdam, iPhone, from an Instagram post with UTM tags: pre-saves on Spotify.
    fan = visitor(app, AMSTERDAM, IPHONE)
    assert fan.get(page(slug) + "?utm_source=instagram&utm_medium=social&utm_campaign=launch",
                   headers={"Referer": "https://www.instagram.com/p/abc/"}).status_code == 200
    going = fan.post(page(slug) + "/presave", data={"platform": "spotify",
                                                    "email": f"{unique('a')}@example.com"},
                     headers={"Referer": "http://localhost" + page(slug)})
    assert going.status_code == 302
    done = fan.get(sandbox_decision(fan, going.headers["Location"]),
                   headers={"Referer": "https://accounts.spotify.com/"})
    assert done.status_code == 302
    # Minneapolis, desktop, typed the address: asks for a reminder on Deezer.
    typed = visitor(app, MINNEAPOLIS, DESKTOP)
    assert typed.get(page(slug)).status_code == 200
    assert typed.post(page(slug) + "/presave", data={
        "platform": "deezer", "intent": "remind",
        "email": f"{unique('m')}@example.com"}).status_code == 302
    # Sydney, Instagram's in-app browser: gets a reminder instead of a sign-in.
    in_app = visitor(app, SYDNEY, INSTAGRAM)
    assert in_app.get(page(slug) + "?utm_source=ig_story",
                      headers={"Referer": "https://l.instagram.com/"}).status_code == 200
    assert in_app.post(page(slug) + "/presave", data={
        "platform": "spotify", "email": f"{unique('s')}@example.com"}).status_code == 302
    # Stockholm, an Android tablet, from a newsletter link: only looks.
    assert visitor(app, STOCKHOLM, ANDROID_TABLET).get(
        page(slug) + "?utm_source=newsletter&utm_medium=email",
        headers={"Referer": "https://mail.example.org/"}).status_code == 200
    drain(app)

    amsterdam = ("Amsterdam", "NL", "instagram", "social", "launch", "instagram.com", "mobile",
                 False)
    minneapolis = ("Minneapolis", "US", None, None, None, None, "desktop", False)
    sydney = ("Sydney", "AU", "ig_story", None, None, "l.instagram.com", "mobile", True)
    assert rows(app, slug) == [
        ("page_view", None, *amsterdam),
        ("platform_click", "spotify", *amsterdam),
        ("authorization_started", "spotify", *amsterdam),
        ("presave_completed", "spotify", *amsterdam),
        ("page_view", None, *minneapolis),
        ("platform_click", "deezer", *minneapolis),
        ("reminder_signup", "deezer", *minneapolis),
        ("page_view", None, *sydney),
        ("platform_click", "spotify", *sydney),
        ("reminder_signup", "spotify", *sydney),
        ("page_view", None, "Stockholm", "SE", "newsletter", "email", None, "mail.example.org",
         "tablet", False),
    ]
    first = events_of(app, slug)[0]
    assert (first.region, first.timezone) == ("North Holland", "Europe/Amsterdam")
    assert first.latitude == pytest.approx(52.37, abs=0.01)


@pytest.mark.parametrize("name", sorted(BOTS))
def test_bots_and_link_previews_are_not_counted(app, active_release, name):
    slug = active_release()
    bot = visitor(app, OXFORD, BOTS[name])
    assert bot.get(page(slug)).status_code == 200  # they still get the page (and its preview)
    bot.post(page(slug) + "/presave", data={"platform": "spotify", "email": "bot@example.com"})
    visitor(app, OXFORD, DESKTOP).get(page(slug))
    drain(app)
    assert [(e.kind, e.city) for e in events_of(app, slug)] == [("page_view", "Oxford")]


def test_the_visitor_hash_hides_the_address_and_changes_daily(app, active_release):
    slug = active_release()
    visitor(app, AMSTERDAM, IPHONE).get(page(slug))
    visitor(app, AMSTERDAM, IPHONE).get(page(slug))  # same browser, same day
    visitor(app, MINNEAPOLIS, IPHONE).get(page(slug))
    with frozen(now_utc() + timedelta(days=1)):
        visitor(app, AMSTERDAM, IPHONE).get(page(slug))
    drain(app)
    today, again, other, tomorrow = [e.visitor_hash for e in events_of(app, slug)]
    assert today == again and len({today, other, tomorrow}) == 3
    with app.app_context():
        salt_key = visitors.SALT_KEY.format(day=now_utc().date().isoformat())
        ttl = redis_connection().ttl(salt_key)
        assert 0 < ttl <= visitors.SALT_SECONDS  # the day's salt is forgotten after two days
        # Without the day's salt no address matches: another salt gives other hashes.
        redis_connection().delete(salt_key)
        visitors._salts.clear()
        assert visitors.visitor_hash(AMSTERDAM, IPHONE, now_utc().date()) != today
        stored = redis_connection().xrange(capture.STREAM)
    assert all(AMSTERDAM.encode() not in fields[b"e"] for _, fields in stored)
    assert all(AMSTERDAM not in (e.visitor_hash or "") for e in events_of(app, slug))


def test_x_forwarded_for_counts_only_behind_trusted_proxies(app, active_release):
    slug = active_release()
    spoofed = {"X-Forwarded-For": SYDNEY}
    visitor(app, AMSTERDAM, DESKTOP).get(page(slug), headers=spoofed)
    behind = create_app("config.TestConfig", REDIS_URL=app.config["REDIS_URL"],
                        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                        TRUSTED_PROXIES=1)
    proxy = behind.test_client()
    proxy.environ_base.update(REMOTE_ADDR="10.0.0.2", HTTP_USER_AGENT=DESKTOP)
    assert proxy.get(page(slug), headers={"X-Forwarded-For": f"{AMSTERDAM}, {SYDNEY}"}
                     ).status_code == 200  # the client said Amsterdam; our one proxy saw Sydney
    drain(app)
    assert [e.city for e in events_of(app, slug)] == ["Amsterdam", "Sydney"]


def test_new_events_queue_one_drain_at_a_time(app, active_release):
    slug = active_release()
    with app.app_context():
        redis_connection().delete(capture.DRAIN_FLAG)
        queue(capture.QUEUE).empty()
    for address in (AMSTERDAM, SYDNEY, OXFORD):
        visitor(app, address, IPHONE).get(page(slug))
    with app.app_context():
        jobs = queue(capture.QUEUE).get_jobs()
        assert [job.func_name for job in jobs] == [capture.DRAIN_JOB]
    drain(app)
    assert [e.city for e in events_of(app, slug)] == ["Amsterdam", "Sydney", "Oxford"]


def test_redis_down_keeps_events_in_the_process_and_the_page_up(app, active_release):
    slug = active_release()
    unreachable = "redis://127.0.0.1:1/0"
    with app.app_context():
        real = app.extensions["presave_redis"]
        app.extensions["presave_redis"] = redis_connection().from_url(unreachable)
    try:
        assert visitor(app, SYDNEY, IPHONE).get(page(slug)).status_code == 200
    finally:
        app.extensions["presave_redis"] = real
    assert len(capture._fallback) >= 1
    visitor(app, OXFORD, IPHONE).get(page(slug))  # Redis is back: both go out
    assert not capture._fallback
    drain(app)
    assert [e.city for e in events_of(app, slug)] == ["Sydney", "Oxford"]
