"""`flask release status <id>`: the ledger of one release, for whoever is on call."""
from datetime import datetime

from app.extensions import db
from app.localtime import frozen
from tests.lifecycle import T0, UTC, announced, in_scope, presave_from


def _ledger(app, studio):
    """A release in pre-save with a pending, a retrying and a delivered pre-save."""
    with frozen(T0), in_scope(app):
        release = announced(studio, "2027-03-01T00:00", "2027-03-10")
        pending, retrying, delivered = (presave_from(release, None) for _ in range(3))
        retrying.attempts, retrying.platform = 2, "deezer"
        delivered.state, delivered.attempts = "delivered", 1
        db.session.commit()
        return release.id


def test_release_status_prints_the_ledger_the_next_instant_and_the_history(app, studio):
    release_id = _ledger(app, studio)
    with frozen(T0):
        result = app.test_cli_runner().invoke(args=["release", "status", str(release_id)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"“Clockwork” by Clock Hands (release {release_id}): Pre-save active"
    assert lines[1] == ("Release 2027-03-10 00:00 Europe/Berlin = 2027-03-09T23:00:00+00:00, "
                        "mode global")
    table = [line.split() for line in lines[3:7]]
    assert table == [
        ["platform", "pending", "retrying", "in_progress", "delivered", "failed", "cancelled"],
        ["deezer", "0", "1", "0", "0", "0", "0"],
        ["spotify", "1", "0", "0", "1", "0", "0"],
        ["total", "1", "1", "0", "1", "0", "0"],
    ]
    assert "Next: Release at 2027-03-09T23:00:00+00:00" in lines
    assert "Next pre-save attempt: 2027-03-09T23:00:00+00:00" in lines
    history = lines[lines.index("History:") + 1:]
    assert [line.split()[1:] for line in history] == [
        ["-", "->", "draft", "(test)"], ["draft", "->", "announced", "(test)"],
        ["announced", "->", "presave_active", "(clock)"]]
    assert all(line.split()[0] == T0.isoformat() for line in history)


def test_release_status_of_an_unknown_release_fails_with_a_message(app):
    result = app.test_cli_runner().invoke(args=["release", "status", "999999"])
    assert result.exit_code == 1 and "No release with id 999999" in result.output


def test_release_status_before_any_presave(app, studio):
    with frozen(T0), in_scope(app):
        release_id = announced(studio, "2027-03-05T10:00", "2027-03-10").id
    with frozen(T0):
        output = app.test_cli_runner().invoke(args=["release", "status", str(release_id)]).output
    assert "No pre-saves yet." in output
    assert f"Next: Pre-save opens at {datetime(2027, 3, 5, 9, 0, tzinfo=UTC).isoformat()}" in output
    assert "Next pre-save attempt: none pending" in output
