"""The A/B test panel of the staff release page: variants added (with artwork) and removed
while the test is a draft, the test started to stop by itself, stopped and decided; refusals
shown where they happened; Artist users see the panel without its forms."""
import io

import pytest
from sqlalchemy import select

from app.models import Release
from tests.images import image_bytes
from tests.release_day_runs import ctx


@pytest.fixture
def release_id(app, active_release):
    slug = active_release()
    with ctx(app) as session:
        return session.scalar(select(Release.id).where(Release.slug == slug))


def variant_form(**changes):
    data = {"name": "Night sky", "headline": "Heard it first at midnight", "description": "",
            "weight": "1"}
    data.update(changes)
    return data


def test_staff_run_a_test_from_the_release_page(app, login, release_id):
    staff = login("staff@northwind.test")
    page = staff.get(f"/releases/show/{release_id}").get_data(as_text=True)
    assert "A/B test of the fan page" in page and "Test a variant against the page" in page
    added = staff.post(f"/releases/{release_id}/variants", data={
        **variant_form(), "artwork": (io.BytesIO(image_bytes((640, 640))), "night.png")},
        content_type="multipart/form-data")
    assert added.status_code == 302 and added.headers["Location"].endswith("#ab-test")
    page = staff.get(f"/releases/show/{release_id}").get_data(as_text=True)
    assert 'data-variant="A"' in page and 'data-variant="B"' in page
    assert 'alt="Artwork of variant B"' in page and "Heard it first at midnight" in page
    assert staff.post(f"/releases/{release_id}/variants",
                      data=variant_form(name="Bold words")).status_code == 302
    assert staff.post(f"/releases/{release_id}/variants/C/remove").status_code == 302
    assert 'data-variant="C"' not in staff.get(f"/releases/show/{release_id}").get_data(
        as_text=True)
    started = staff.post(f"/releases/{release_id}/variants/test/start",
                         data={"auto_stop": "y", "min_presaves": "150"}, follow_redirects=True)
    html = started.get_data(as_text=True)
    assert "The test runs: each visitor now sees one variant" in html
    assert "It stops by itself once a result is clear and every variant has 150" in html
    assert "Add the variant" not in html and "Stop the test" in html
    refused = staff.post(f"/releases/{release_id}/variants/B/remove", follow_redirects=True)
    assert "stop this test and start another" in refused.get_data(as_text=True)
    assert "Stop the test" not in staff.post(
        f"/releases/{release_id}/variants/test/stop", follow_redirects=True).get_data(
        as_text=True)
    decided = staff.post(f"/releases/{release_id}/variants/test/choose",
                         data={"winner": "B"}, follow_redirects=True).get_data(as_text=True)
    assert "Variant B won: its artwork and words are now the release" in decided
    assert ("A/B test: variant B (“Night sky”) won; its artwork and headline became the "
            "release") in decided  # in the status history
    with ctx(app) as session:
        release = session.get(Release, release_id)
        assert release.headline == "Heard it first at midnight" and release.artwork


@pytest.mark.parametrize("changes, said", [
    ({"name": ""}, "Name the variant"),
    ({"weight": "0"}, "A whole number from 1 to 100"),
    ({"headline": "h" * 121}, "Field cannot be longer than 120 characters"),
])
def test_a_variant_that_cannot_be_added_says_why(app, login, release_id, changes, said):
    answer = login("staff@northwind.test").post(f"/releases/{release_id}/variants",
                                                data=variant_form(**changes))
    assert answer.status_code == 422 and said in answer.get_data(as_text=True)
    with ctx(app) as session:
        assert session.get(Release, release_id).ab_test_id is None


def test_a_bad_stopping_rule_is_refused(app, login, release_id):
    staff = login("staff@northwind.test")
    staff.post(f"/releases/{release_id}/variants", data=variant_form())
    answer = staff.post(f"/releases/{release_id}/variants/test/start",
                        data={"min_presaves": "lots"}, follow_redirects=True)
    assert "is a whole number, such as 200" in answer.get_data(as_text=True)
    with ctx(app) as session:
        assert session.get(Release, release_id).ab_test_id is None


def test_artists_see_the_panel_and_other_labels_nothing(app, login, release_id):
    login("staff@northwind.test").post(f"/releases/{release_id}/variants", data=variant_form())
    artist = login("artist@northwind.test")
    page = artist.get(f"/releases/show/{release_id}").get_data(as_text=True)
    assert 'data-variant="B"' in page and "Add the variant" not in page
    assert artist.post(f"/releases/{release_id}/variants/test/start").status_code in (302, 403)
    with ctx(app) as session:
        assert session.get(Release, release_id).ab_test_id is None
    harbor = login("staff@harbor.test")
    assert harbor.post(f"/releases/{release_id}/variants",
                       data=variant_form()).status_code == 404
    assert harbor.post(f"/releases/{release_id}/variants/test/start").status_code == 404
