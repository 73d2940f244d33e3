from app import create_app
from app.extensions import limiter


def test_repeated_failed_logins_are_throttled(app):
    limited = create_app("config.TestConfig", REDIS_URL=app.config["REDIS_URL"],
                         RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute",
                         RATELIMIT_KEY_PREFIX="presave-limits-test")
    client = limited.test_client()
    try:
        answers = [client.post("/login/", data={"username": "staff@northwind.test",
                                                "password": "wrong"}).status_code
                   for _ in range(4)]
    finally:
        limiter.enabled = app.config["RATELIMIT_ENABLED"]  # one limiter object serves both apps
    assert answers[:3] == [302, 302, 302]
    assert answers[3] == 429


def test_fan_signups_are_limited_per_client_with_a_friendly_page(app):
    limited = create_app("config.TestConfig", REDIS_URL=app.config["REDIS_URL"],
                         RATELIMIT_ENABLED=True, PUBLIC_SIGNUP_LIMITS="3 per minute",
                         RATELIMIT_KEY_PREFIX="presave-limits-signup-test")
    client = limited.test_client()
    bot = {"platform": "spotify", "website": "filled"}  # honeypot: counted, never stored
    try:
        answers = [client.post("/s/aurora-vale/tonight/presave", data=bot) for _ in range(4)]
    finally:
        limiter.enabled = app.config["RATELIMIT_ENABLED"]
    assert [a.status_code for a in answers] == [302, 302, 302, 429]
    assert "Easy there!" in answers[3].get_data(as_text=True)
    assert 1 <= int(answers[3].headers["Retry-After"]) <= 61  # the minute, rounded up
    assert "try again in about" in answers[3].get_data(as_text=True)
