"""What an event says, the same shape wherever it is emitted. Fans appear by id and country
only: a receiver that needs more asks the API, where the label's own rules apply."""
from app.domains.urls import fan_url


def _when(moment):
    return moment.isoformat() if moment else None


def release(row):
    return {"id": row.id, "title": row.title, "slug": row.slug, "kind": row.kind,
            "isrc": row.isrc, "upc": row.upc, "release_at": _when(row.release_at),
            "status": row.status, "url": fan_url(row.artist, f"/{row.slug}")}


def artist(row):
    return {"id": row.id, "name": row.name, "slug": row.slug}


def presave(row):
    return {"presave": {"id": row.id, "platform": row.platform, "state": row.state,
                        "origin": row.origin, "created_at": _when(row.created_at),
                        "delivered_at": _when(row.delivered_at),
                        "reason": row.last_error if row.state == "failed" else None},
            "release": release(row.release), "artist": artist(row.release.artist),
            "fan": {"id": row.fan_id, "country": row.fan.country if row.fan else None}}


def released(row):
    return {"release": release(row), "artist": artist(row.artist)}


def fan(row, **more):
    return {"fan": {"id": row.id, "country": row.country}, "artist": artist(row.artist), **more}
