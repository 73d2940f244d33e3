"""Row-level tenant scoping (app.tenants.scoping) on the real database.

Nothing here commits: every test works in one session and rolls it back.
"""
from types import SimpleNamespace

import pytest
from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import aliased, selectinload

from app.extensions import db
from app.models import (Artist, Authorization, Consent, Event, Fan, Label, PreSave,
                        PresaveUser, Release, StreamingLink)
from app.tenants import column_inserts
from app.tenants.context import Scope, TenantScopeError, scoped

TENANT_MODELS = [Label, Artist, Release, Fan, Consent, Authorization, PreSave, Event,
                 StreamingLink]


@pytest.fixture
def session(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def demo(session):
    """Ids of the demo labels, artists and one release of each artist."""
    with scoped(Scope.platform()):
        artists = {a.slug: a for a in session.scalars(select(Artist))}
        labels = {label.slug: label.id for label in session.scalars(select(Label))}
        release = {slug: session.scalars(select(Release.id).where(
            Release.artist_id == a.id)).first() for slug, a in artists.items()}
        ids = SimpleNamespace(
            northwind=labels["northwind"], harbor=labels["harbor-lights"],
            aurora=artists["aurora-vale"].id, juniper=artists["juniper-kites"].id,
            marlow=artists["marlow-shore"].id, release=release)
    session.expunge_all()  # no identity-map hits from the platform read
    return ids


def northwind(demo):
    return scoped(Scope.label(demo.northwind))


def all_rows(session, stmt):
    return session.execute(stmt.execution_options(all_tenants=True)).all()


def stored(session, model, *where):
    session.rollback()
    return all_rows(session, select(model.id).where(*where))


# -- reads -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__name__)
def test_reading_tenant_rows_without_a_scope_fails_closed(session, model):
    with pytest.raises(TenantScopeError):
        session.scalars(select(model)).all()
    with pytest.raises(TenantScopeError):
        session.query(model).first()


def test_reading_by_primary_key_without_a_scope_fails_closed(session, demo):
    with pytest.raises(TenantScopeError):
        session.get(Artist, demo.aurora)


def test_queries_on_no_tenant_table_need_no_scope(session):
    assert session.scalars(select(PresaveUser).where(
        PresaveUser.email == "staff@harbor.test")).one()


def test_label_scope_sees_only_its_artists_and_releases(session, demo):
    with northwind(demo):
        artists = session.scalars(select(Artist)).all()
        releases = session.scalars(select(Release)).all()
        labels = session.scalars(select(Label)).all()
    assert {demo.aurora, demo.juniper} <= {a.id for a in artists}
    assert {a.label_id for a in artists} == {demo.northwind}
    assert releases and {r.label_id for r in releases} == {demo.northwind}
    assert [label.id for label in labels] == [demo.northwind]
    everyone = all_rows(session, select(Release.id))
    assert len(everyone) > len(releases)


def test_label_scope_applies_through_joins_and_aliases(session, demo):
    other = aliased(Artist)
    with northwind(demo):
        joined = session.scalars(select(Release).join(Release.artist)
                                 .where(Artist.slug == "marlow-shore")).all()
        via_alias = session.scalars(select(Release).join(other, Release.artist)
                                    .where(other.label_id == demo.harbor)).all()
        counted = session.scalar(select(func.count()).select_from(Release)
                                 .join(Artist).where(Artist.id == demo.marlow))
        names = session.scalars(select(Artist.name).join(Label)).all()
    assert joined == [] and via_alias == [] and counted == 0
    assert {"Aurora Vale", "Juniper Kites"} <= set(names)
    assert not {"Marlow Shore", "Neon Tide"} & set(names)


def test_label_scope_applies_to_relationship_loads(session, demo):
    with northwind(demo):
        label = session.scalars(select(Label)).one()
        assert {a.label_id for a in label.artists} == {demo.northwind}  # lazy load
        eager = session.scalars(select(Label).options(selectinload(Label.artists))).one()
        assert {a.label_id for a in eager.artists} == {demo.northwind}
        aurora = session.get(Artist, demo.aurora)
        assert aurora.releases and {r.artist_id for r in aurora.releases} == {demo.aurora}
        assert session.get(Label, demo.harbor) is None
        assert session.get(Artist, demo.marlow) is None
        assert session.get(Release, demo.release["marlow-shore"]) is None


def test_label_scope_hides_other_labels_users(session, demo):
    with northwind(demo):
        emails = set(session.scalars(select(PresaveUser.email)))
    assert "staff@northwind.test" in emails
    assert "staff@harbor.test" not in emails and "admin@presave.test" not in emails


def test_artist_scope_sees_only_its_artist(session, demo):
    with scoped(Scope.artist(demo.northwind, demo.aurora)):
        artists = session.scalars(select(Artist)).all()
        releases = session.scalars(select(Release)).all()
        sibling = session.get(Release, demo.release["juniper-kites"])
    assert [a.id for a in artists] == [demo.aurora]
    assert releases and {r.artist_id for r in releases} == {demo.aurora}
    assert sibling is None


def test_an_empty_scope_sees_nothing(session, demo):
    with scoped(Scope()):
        assert session.scalars(select(Artist)).all() == []


def test_platform_scope_sees_every_label(session, demo):
    with scoped(Scope.platform()):
        labels = {a.label_id for a in session.scalars(select(Artist))}
    assert {demo.northwind, demo.harbor} <= labels


def test_all_tenants_is_the_only_escape_hatch(session, demo):
    with pytest.raises(TenantScopeError):
        session.scalars(select(Artist).execution_options(tenants="all", everything=True)).all()
    assert {demo.northwind, demo.harbor} <= {
        row.label_id for row in all_rows(session, select(Artist.label_id))}
    with northwind(demo):
        inside = all_rows(session, select(Artist.label_id))
    assert {demo.northwind, demo.harbor} <= {row.label_id for row in inside}


def test_bulk_update_and_delete_stay_inside_the_scope(session, demo):
    own = len(all_rows(session, select(Artist.id).where(Artist.label_id == demo.northwind)))
    with northwind(demo):
        updated = session.execute(update(Artist).values(bio="scoped")).rowcount
        deleted = session.execute(delete(Release).where(
            Release.artist_id == demo.marlow)).rowcount
    assert (updated, deleted) == (own, 0)
    assert all_rows(session, select(Artist.id).where(Artist.bio == "scoped",
                                                     Artist.label_id == demo.harbor)) == []


# -- writes ----------------------------------------------------------------------------------------

def test_a_write_without_a_scope_raises(session, demo, unique):
    session.add(Fan(artist_id=demo.aurora, label_id=demo.northwind, email=unique("f")))
    with pytest.raises(TenantScopeError):
        session.flush()


def test_a_write_is_stamped_with_the_scopes_label(session, demo, unique):
    with northwind(demo):
        artist = Artist(name=unique("Artist"), slug=unique("artist"))
        fan = Fan(artist_id=demo.aurora, email=f"{unique('fan')}@fans.test")
        session.add_all([artist, fan])
        session.flush()
        assert (artist.label_id, fan.label_id) == (demo.northwind, demo.northwind)


CROSS_LABEL_WRITES = {
    "release of another label's artist": lambda d, n: Release(
        artist_id=d.marlow, title=n, slug=n, timezone="UTC", platforms=[]),
    "release with the own label and another's artist": lambda d, n: Release(
        artist_id=d.marlow, label_id=d.northwind, title=n, slug=n, timezone="UTC", platforms=[]),
    "fan with a forged label_id": lambda d, n: Fan(
        artist_id=d.marlow, label_id=d.harbor, email=n),
    "fan with the own label and another's artist": lambda d, n: Fan(
        artist_id=d.marlow, label_id=d.northwind, email=n),
    "link to another label's release": lambda d, n: StreamingLink(
        release_id=d.release["marlow-shore"], artist_id=d.aurora, label_id=d.northwind,
        platform="spotify", url=n),
    "event about another label's release": lambda d, n: Event(
        release_id=d.release["marlow-shore"], artist_id=d.aurora, label_id=d.northwind,
        kind="page_view", visitor_hash=n),
}


@pytest.mark.parametrize("make", CROSS_LABEL_WRITES.values(), ids=list(CROSS_LABEL_WRITES))
def test_a_cross_label_write_raises_and_stores_nothing(session, demo, unique, make):
    name = unique("forged")
    row = make(demo, name)
    model = type(row)
    with northwind(demo):
        session.add(row)
        with pytest.raises(TenantScopeError):
            session.flush()
    assert stored(session, model, _marker(model) == name) == []


def _marker(model):
    """The column each CROSS_LABEL_WRITES row carries its unique name in."""
    return {Release: Release.slug, Fan: Fan.email, StreamingLink: StreamingLink.url,
            Event: Event.visitor_hash}[model]


def test_a_row_cannot_move_to_another_label(session, demo):
    with northwind(demo):
        artist = session.get(Artist, demo.juniper)
        artist.label_id = demo.harbor
        with pytest.raises(TenantScopeError):
            session.flush()


def test_an_artist_scope_cannot_write_another_artists_rows(session, demo, unique):
    with scoped(Scope.artist(demo.northwind, demo.aurora)):
        session.add(Fan(artist_id=demo.juniper, email=unique("fan")))
        with pytest.raises(TenantScopeError):
            session.flush()


def test_a_bulk_insert_without_a_scope_raises(session, demo, unique):
    name = unique("bulk")
    with pytest.raises(TenantScopeError):
        session.execute(insert(Fan), [{"artist_id": demo.aurora, "label_id": demo.northwind,
                                       "email": name}])
    assert stored(session, Fan, Fan.email == name) == []


def test_a_bulk_insert_into_another_label_raises(session, demo, unique):
    name = unique("bulk")
    with northwind(demo):
        with pytest.raises(TenantScopeError):
            session.execute(insert(Fan).values(artist_id=demo.marlow, label_id=demo.harbor,
                                               email=name))
    assert stored(session, Fan, Fan.email == name) == []


BULK_FORGERIES = {
    "another label": lambda d: {"artist_id": d.marlow, "label_id": d.harbor},
    "own label, another label's artist": lambda d: {"artist_id": d.marlow,
                                                    "label_id": d.northwind},
    "no label": lambda d: {"artist_id": d.aurora},
}


@pytest.mark.parametrize("forge", BULK_FORGERIES.values(), ids=list(BULK_FORGERIES))
@pytest.mark.parametrize("style", ["executemany", "values", "multi-values", "rows as JSON"])
def test_a_forged_bulk_insert_raises_and_stores_nothing(session, demo, unique, forge, style):
    name = unique("bulk")
    own = {"artist_id": demo.aurora, "label_id": demo.northwind}
    forged = forge(demo)
    rows = [{key: own[key] for key in forged} | {"email": f"{name}-0"},  # fine unless no label
            forged | {"email": f"{name}-1"}]
    statements = {
        "executemany": lambda: session.execute(insert(Fan), rows),
        "values": lambda: session.execute(insert(Fan).values(**rows[1])),
        "multi-values": lambda: session.execute(insert(Fan).values(rows)),
        # Refused before it reaches the database, so on SQLite too (PostgreSQL's statement).
        "rows as JSON": lambda: session.execute(*json_insert(Fan, rows)),
    }
    with northwind(demo):
        with pytest.raises(TenantScopeError):
            statements[style]()
    assert stored(session, Fan, Fan.email.like(f"{name}%")) == []


def test_a_bulk_insert_into_the_own_label_works(session, demo, unique):
    name = unique("bulk")
    with northwind(demo):
        session.execute(insert(Fan), [{"artist_id": demo.aurora, "label_id": demo.northwind,
                                       "email": f"{name}-{i}"} for i in range(3)])
        session.execute(insert(Fan).values(artist_id=demo.juniper, label_id=demo.northwind,
                                           email=f"{name}-x"))
        assert len(session.scalars(select(Fan).where(Fan.email.like(f"{name}%"))).all()) == 4


def json_insert(model, rows):
    names = sorted({key for row in rows for key in row})
    return (column_inserts.insert_rows(model, names),
            column_inserts.rows([{name: row.get(name) for name in names} for row in rows]))


def test_an_insert_from_another_select_is_refused_in_a_label_scope(session, demo, unique):
    name = unique("bulk")
    copy = insert(Fan).from_select(
        ["artist_id", "label_id", "email"],
        select(Fan.artist_id, Fan.label_id, func.concat(name, Fan.email)))
    with northwind(demo):
        with pytest.raises(TenantScopeError, match="INSERT from a SELECT"):
            session.execute(copy)
    assert stored(session, Fan, Fan.email.like(f"{name}%")) == []


def test_rows_as_json_into_the_own_label_work(session, demo, unique):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("rows as JSON are PostgreSQL's form (SQLite uses executemany)")
    name = unique("bulk")
    with northwind(demo):
        session.execute(*json_insert(Fan, [
            {"artist_id": demo.aurora, "label_id": demo.northwind, "email": f"{name}-{i}"}
            for i in range(3)]))
        assert len(session.scalars(select(Fan).where(Fan.email.like(f"{name}%"))).all()) == 3


BULK_UPDATES = {
    "move to another label": lambda d: {"label_id": d.harbor},
    "point at another label's artist": lambda d: {"artist_id": d.marlow},
}


@pytest.mark.parametrize("forge", BULK_UPDATES.values(), ids=list(BULK_UPDATES))
def test_a_bulk_update_cannot_move_rows_out_of_the_label(session, demo, forge):
    release_id = demo.release["aurora-vale"]
    with northwind(demo):
        with pytest.raises(TenantScopeError):
            session.execute(update(Release).where(Release.id == release_id).values(**forge(demo)))
        session.rollback()
        with pytest.raises(TenantScopeError):
            session.execute(update(Release), [{"id": release_id, **forge(demo)}])
    session.rollback()
    row = all_rows(session, select(Release.label_id, Release.artist_id)
                   .where(Release.id == release_id))
    assert row == [(demo.northwind, demo.aurora)]


FORGED_SET_CLAUSES = {
    "by attribute": lambda d: ({Release.artist_id: d.marlow}, {}),
    "by a bind given at execution": lambda d: ({"artist_id": bindparam("who")}, {"who": d.marlow}),
    "by a subquery": lambda d: ({"label_id": select(Label.id).where(Label.id == d.harbor)
                                 .scalar_subquery()}, {}),
    "by a function": lambda d: ({"artist_id": func.coalesce(None, d.marlow)}, {}),
}


@pytest.mark.parametrize("forge", FORGED_SET_CLAUSES.values(), ids=list(FORGED_SET_CLAUSES))
def test_a_bulk_update_cannot_point_rows_at_another_label_in_any_form(session, demo, forge):
    release_id = demo.release["aurora-vale"]
    values, params = forge(demo)
    with northwind(demo):
        with pytest.raises(TenantScopeError):
            session.execute(update(Release).where(Release.id == release_id).values(values), params)
    session.rollback()
    row = all_rows(session, select(Release.label_id, Release.artist_id)
                   .where(Release.id == release_id))
    assert row == [(demo.northwind, demo.aurora)]


def test_a_bulk_update_of_other_columns_may_use_expressions(session, demo):
    release_id = demo.release["aurora-vale"]
    with northwind(demo):
        session.execute(update(Release).where(Release.id == release_id)
                        .values(title=func.upper("renamed"), artist_id=demo.aurora))
        assert session.scalars(select(Release.title).where(Release.id == release_id)).one() \
            == "RENAMED"
