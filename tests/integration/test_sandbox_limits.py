"""The sandbox's rate limit (a rolling window) and 429 bursts, on the sandbox's own clock."""
import math
import time

import pytest

from app.sandbox import state
from tests.sandbox_calls import bearer, faults, tokens

ME = "/sandbox/spotify/api/me"


@pytest.fixture
def clock(app, monkeypatch):
    """The sandbox's clock, moved by hand: clock.at(seconds after a round start)."""
    start = math.floor(time.time() / 100) * 100 + 100

    class Clock:
        def at(self, seconds):
            monkeypatch.setattr(state, "now", lambda: start + seconds)

    def clear():  # before too: an earlier test in this process may have left its faults
        with app.app_context():
            state.clear_faults("spotify")
            state._r().delete("sandbox:spotify:injected")
    clear()
    yield Clock()
    clear()


def test_the_rolling_window_admits_its_limit_then_answers_429_until_a_slot_frees(client, clock):
    clock.at(0)
    headers = bearer(tokens(client, "spotify")["access_token"])
    faults(client, "spotify", limit_rps=2, limit_window_s=2)  # 4 requests per rolling 2 s
    for second in (0, 0.25, 0.5, 0.75):
        clock.at(second)
        assert client.get(ME, headers=headers).status_code == 200
    clock.at(1.5)
    limited = client.get(ME, headers=headers)
    assert limited.status_code == 429
    assert limited.get_json() == {"error": {"status": 429, "message": "Too many requests"}}
    assert limited.headers["Retry-After"] == "1"  # the request of 0 s leaves at 2 s
    clock.at(1.9)
    assert client.get(ME, headers=headers).headers["Retry-After"] == "1"
    clock.at(2.01)
    assert client.get(ME, headers=headers).status_code == 200
    clock.at(2.02)  # that request took the freed slot: the next waits for the one of 0.25 s
    assert client.get(ME, headers=headers).status_code == 429
    assert client.get("/sandbox/_admin/spotify/injected").get_json() == {"limit_rps": 3}


def test_a_limit_lowered_mid_window_waits_for_enough_requests_to_leave(client, clock):
    clock.at(0)
    headers = bearer(tokens(client, "spotify")["access_token"])
    faults(client, "spotify", limit_rps=1, limit_window_s=10)
    for second in range(10):
        clock.at(second)
        assert client.get(ME, headers=headers).status_code == 200
    faults(client, "spotify", limit_rps=0.3)  # 3 per 10 s: 8 of the 10 held must leave
    clock.at(9.5)
    assert client.get(ME, headers=headers).headers["Retry-After"] == "8"  # the one of 7 s


def test_bursts_answer_every_call_with_429_until_the_burst_ends(client, clock):
    clock.at(0)
    headers = bearer(tokens(client, "spotify")["access_token"])
    faults(client, "spotify", burst_every_s=10, burst_for_s=3)
    for second, status, retry_after in ((0.5, 429, "3"), (2.2, 429, "1"), (3.0, 200, None),
                                        (9.9, 200, None), (10.0, 429, "3")):
        clock.at(second)
        answer = client.get(ME, headers=headers)
        assert (answer.status_code, answer.headers.get("Retry-After")) == (status, retry_after)
    assert client.get("/sandbox/_admin/spotify/injected").get_json() == {"burst_429": 3}


def test_clearing_the_faults_forgets_the_window(client, clock):
    clock.at(0)
    headers = bearer(tokens(client, "spotify")["access_token"])
    faults(client, "spotify", limit_rps=1, limit_window_s=1)
    assert client.get(ME, headers=headers).status_code == 200
    assert client.get(ME, headers=headers).status_code == 429
    client.delete("/sandbox/_admin/spotify/faults")
    faults(client, "spotify", limit_rps=1, limit_window_s=1)
    assert client.get(ME, headers=headers).status_code == 200


@pytest.mark.parametrize("settings", [{"limit_rps": -1}, {"limit_window_s": 0},
                                      {"burst_every_s": "often"}, {"burst_for_s": True}])
def test_bad_limit_and_burst_settings_are_refused(client, settings):
    answer = client.post("/sandbox/_admin/spotify/faults", json=settings)
    assert answer.status_code == 400 and list(settings)[0] in answer.get_json()["error"]


def test_injected_counts_name_a_known_platform(client):
    assert client.get("/sandbox/_admin/myspace/injected").status_code == 404
