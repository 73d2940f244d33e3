"""Apple Music fans on the sandbox: a Music-User-Token from the stand-in MusicKit for an
account in a given storefront, and a pre-add through the fan page with it."""
import uuid

from sqlalchemy import select

from app.extensions import db
from app.models import Label
from app.platforms.registry import platform_for
from app.tenants.context import Scope, scoped
from tests.fan_journey import flashes, start


def music_user_token(app, storefront):
    """What the stand-in MusicKit's authorize() gives a fan whose account is in ``storefront``;
    (token, sandbox user)."""
    user = f"apple-{uuid.uuid4().hex[:10]}"
    with app.app_context():
        with scoped(Scope.platform()):
            label_id = db.session.scalars(select(Label.id).where(Label.slug == "northwind")).one()
        developer = platform_for(label_id, "apple_music").developer_token()
    answer = app.test_client().post(
        "/sandbox/apple_music/musickit/authorize", json={"user": user, "storefront": storefront},
        headers={"Authorization": f"Bearer {developer}"})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["musicUserToken"], user


def pre_add(app, slug, storefront="us"):
    """A new fan pre-adds ``slug`` (an Aurora Vale release) on Apple Music; their sandbox user."""
    fan = app.test_client()
    token, user = music_user_token(app, storefront)
    done = start(fan, slug, "apple_music", email=f"{user}@example.com", music_user_token=token)
    assert done.status_code == 302 and done.headers["Location"].startswith("/s/")
    assert any("Pre-Save Successful!" in said for said in flashes(fan))
    return user
