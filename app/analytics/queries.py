"""What the analytics dashboards, the API and the exports show, read from the rollups.

Every query goes through the session's tenant scoping: a release, artist or row the
caller's scope cannot see is simply absent. Days are UTC dates (see
app.models.event_rollup). Results are plain dicts and lists, ready for JSON.
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import case, func, select

from app.analytics import ab_report
from app.validation import MAX_ID
from app.extensions import db
from app.localtime import now_utc
from app.models import Artist, Event, Label, Release, ShortLink
from app.models.event_rollup import (EventDaily, EventDailyPlace, EventDailyPlatform,
                                     EventDailySource, EventTotalPlace, EventTotalSource)
from app.platform_table import name as platform_name

VIEW, CLICK, SIGN_IN, PRESAVE, REMINDER, STREAM, DELIVERED = (
    "page_view", "platform_click", "authorization_started", "presave_completed",
    "reminder_signup", "stream_click", "delivered")
LINK_VISIT = "link_visit"
FUNNEL = [(VIEW, "Page views"), (CLICK, "Platform clicks"), (SIGN_IN, "Sign-ins started"),
          (PRESAVE, "Pre-saves"), (DELIVERED, "Delivered")]
SERIES_KINDS = [VIEW, PRESAVE, REMINDER, DELIVERED]
TOP_CITIES, MAP_CITIES, TOP_SOURCES, SPARK_DAYS, ROSTER_CITIES = 20, 100, 10, 30, 3
MAX_SPAN_DAYS = 3660


@dataclass(frozen=True)
class Period:
    """An inclusive range of UTC days; either end may be open."""

    start: date | None = None
    end: date | None = None

    @classmethod
    def from_args(cls, args):
        """From the query string's `from` and `to` (YYYY-MM-DD); ValueError says what is wrong."""
        start, end = _day(args.get("from"), "from"), _day(args.get("to"), "to")
        if start and end and start > end:
            raise ValueError(f"'from' ({start}) is after 'to' ({end})")
        if start and end and (end - start).days > MAX_SPAN_DAYS:
            raise ValueError(f"Choose at most {MAX_SPAN_DAYS} days")
        return cls(start, end)

    def where(self, model):
        conditions = []
        if self.start:
            conditions.append(model.day >= self.start)
        if self.end:
            conditions.append(model.day <= self.end)
        return conditions

    def where_instant(self, model):
        """The same days, on a model's ``occurred_at`` instant."""
        def midnight(day):
            return datetime.combine(day, time(), tzinfo=timezone.utc)
        conditions = []
        if self.start:
            conditions.append(model.occurred_at >= midnight(self.start))
        if self.end:
            conditions.append(model.occurred_at < midnight(self.end + timedelta(days=1)))
        return conditions

    @property
    def all_time(self):
        return self.start is None and self.end is None

    def table(self, daily, total):
        """The all-time table when no day is asked for: one row per breakdown, not per day."""
        return total if self.all_time else daily

    def as_args(self):
        return {key: value.isoformat() for key, value in (("from", self.start), ("to", self.end))
                if value}


def _day(value, name):
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"'{name}' must be a date written YYYY-MM-DD, not '{value[:40]}'") \
            from None


def visible_release(release_id):
    """The release if the caller's scope sees it (a query: session.get would skip the scope)."""
    return _visible(Release, release_id)


def visible_artist(artist_id):
    return _visible(Artist, artist_id)


def _visible(model, pk):
    if not 0 < pk <= MAX_ID:  # no key holds it (PostgreSQL would refuse to compare)
        return None
    return db.session.scalar(select(model).where(model.id == pk))


# --- one release ---------------------------------------------------------------------------

def release_report(release, period=Period()):
    """Everything the release dashboard and the API show, for one release and period."""
    daily = daily_counts(release.id, period)
    totals = defaultdict(int)
    for counts in daily.values():
        for kind, n in counts.items():
            totals[kind] += n
    return {"release_id": release.id, "from": period.start, "to": period.end,
            "totals": dict(totals), "funnel": funnel(totals),
            "platforms": platforms(release.id, period), "cities": cities(release.id, period),
            "referrers": referrers(release.id, period), "campaigns": campaigns(release.id, period),
            "short_links": short_links(release.id, period),
            "daily": series(daily, period), "ab_test": ab_report.report(release)}


def daily_counts(release_id, period):
    """{day: {kind: count}} for the days with events."""
    stmt = (select(EventDaily.day, EventDaily.kind, EventDaily.count)
            .where(EventDaily.release_id == release_id, *period.where(EventDaily)))
    daily = defaultdict(dict)
    for day, kind, count in db.session.execute(stmt):
        daily[day][kind] = count
    return daily


def funnel(totals):
    """The funnel's steps with each step's rate from the one before and from the views."""
    steps, first, before = [], totals.get(VIEW, 0), None
    for kind, label in FUNNEL:
        count = totals.get(kind, 0)
        steps.append({"kind": kind, "label": label, "count": count,
                      "step_rate": _rate(count, before), "overall_rate": _rate(count, first)})
        before = count
    return {"steps": steps, "overall_rate": _rate(totals.get(DELIVERED, 0), first),
            "presave_rate": _rate(totals.get(PRESAVE, 0), first),
            "reminder_signups": totals.get(REMINDER, 0)}


def kpis(totals, released):
    """The release dashboard's headline numbers for its phase: while the pre-save runs, what
    the campaign gathers; once the release is out, what release day did with it."""
    def count(kind, label):
        return {"kind": kind, "label": label, "count": totals.get(kind, 0)}

    def rate(name, label, part, whole):
        return {"kind": name, "label": label,
                "rate": _rate(totals.get(part, 0), totals.get(whole, 0))}

    if not released:
        return [count(VIEW, "Page views"), count(PRESAVE, "Pre-saves"),
                rate("conversion", "Pre-saves per page view", PRESAVE, VIEW),
                count(REMINDER, "Reminder sign-ups")]
    return [count(DELIVERED, "Delivered"),
            rate("delivery_rate", "Of the pre-saves delivered", DELIVERED, PRESAVE),
            count(STREAM, "Stream clicks"), count(PRESAVE, "Pre-saves")]


def platforms(release_id, period):
    """Pre-saves per platform, with each platform's share, largest first."""
    stmt = (select(EventDailyPlatform.platform, func.sum(EventDailyPlatform.count))
            .where(EventDailyPlatform.release_id == release_id, EventDailyPlatform.kind == PRESAVE,
                   *period.where(EventDailyPlatform))
            .group_by(EventDailyPlatform.platform))
    rows = sorted(db.session.execute(stmt).all(), key=lambda row: (-row[1], row[0]))
    total = sum(n for _, n in rows)
    return [{"platform": key or "unknown", "name": platform_name(key) if key else "Unknown",
             "presaves": n, "share": _rate(n, total)} for key, n in rows]


def cities(release_id, period, limit=MAP_CITIES):
    """Places by pre-saves, then views: city, region, country, coordinates, conversion."""
    place = period.table(EventDailyPlace, EventTotalPlace)
    views, presaves = _sum_kind(place, VIEW), _sum_kind(place, PRESAVE)
    stmt = (select(place.country, place.region, place.city, views, presaves,
                   func.max(place.latitude), func.max(place.longitude))
            .where(place.release_id == release_id, place.kind.in_([VIEW, PRESAVE]),
                   *period.where(place))
            .group_by(place.country, place.region, place.city)
            .order_by(presaves.desc(), views.desc(), place.city).limit(limit))
    return [{"city": city or "Unknown", "region": region, "country": country,
             "latitude": lat, "longitude": lon, "views": v, "presaves": p,
             "conversion": _rate(p, v)}
            for country, region, city, v, p, lat, lon in db.session.execute(stmt)]


def referrers(release_id, period):
    """Views and pre-saves per referring site ("direct" when none), busiest first."""
    source = period.table(EventDailySource, EventTotalSource)
    return [{"referrer": ref or "direct", "views": v, "presaves": p, "conversion": _rate(p, v)}
            for ref, v, p in _by_source(source, release_id, period, (source.referrer,))]


def campaigns(release_id, period):
    """Views and pre-saves per UTM source, medium and campaign (tagged visits only)."""
    source = period.table(EventDailySource, EventTotalSource)
    columns = (source.utm_source, source.utm_medium, source.utm_campaign)
    tagged = (source.utm_source != "") | (source.utm_medium != "") | (source.utm_campaign != "")
    return [{"utm_source": s, "utm_medium": m, "utm_campaign": c, "views": v, "presaves": p,
             "conversion": _rate(p, v)}
            for s, m, c, v, p in _by_source(source, release_id, period, columns, tagged)]


def short_links(release_id, period=Period()):
    """The release's short links (the fan page's own first, then by visits) with their visits
    (a visitor a day) and the pre-saves of visits that came through them."""
    visits = func.sum(case((Event.kind == LINK_VISIT, 1), else_=0))
    presaves = func.sum(case((Event.kind == PRESAVE, 1), else_=0))
    counted = (select(Event.link_id, visits.label("visits"), presaves.label("presaves"))
               .where(Event.release_id == release_id, Event.link_id.is_not(None),
                      Event.kind.in_([LINK_VISIT, PRESAVE]), *period.where_instant(Event))
               .group_by(Event.link_id).subquery())
    stmt = (select(ShortLink.id, ShortLink.name, ShortLink.code, ShortLink.main,
                   func.coalesce(counted.c.visits, 0), func.coalesce(counted.c.presaves, 0))
            .outerjoin(counted, counted.c.link_id == ShortLink.id)
            .where(ShortLink.release_id == release_id))
    rows = [{"id": pk, "name": name, "code": code, "main": main, "visits": int(v),
             "presaves": int(p), "conversion": _rate(p, v)}
            for pk, name, code, main, v, p in db.session.execute(stmt)]
    return sorted(rows, key=lambda r: (not r["main"], -r["visits"], -r["presaves"], r["name"]))


def _by_source(source, release_id, period, columns, *conditions):
    views, presaves = _sum_kind(source, VIEW), _sum_kind(source, PRESAVE)
    stmt = (select(*columns, views, presaves)
            .where(source.release_id == release_id, source.kind.in_([VIEW, PRESAVE]),
                   *period.where(source), *conditions)
            .group_by(*columns).order_by(views.desc(), presaves.desc(), *columns)
            .limit(TOP_SOURCES))
    return db.session.execute(stmt).all()


def series(daily, period, kinds=SERIES_KINDS):
    """One entry per day from the period's start (or the first day with events) to its end
    (or the last), days without events included."""
    days = sorted(daily)
    first, last = period.start or (days[0] if days else None), period.end or (
        days[-1] if days else None)
    if first is None or last is None:
        return []
    return [{"day": day, **{kind: daily.get(day, {}).get(kind, 0) for kind in kinds}}
            for day in _days(first, last)]


def weekly(days, kinds=SERIES_KINDS):
    """The daily series summed per ISO week, each week named by its Monday."""
    weeks = {}
    for entry in days:
        monday = entry["day"] - timedelta(days=entry["day"].weekday())
        week = weeks.setdefault(monday, {"day": monday, **{kind: 0 for kind in kinds}})
        for kind in kinds:
            week[kind] += entry[kind]
    return [weeks[monday] for monday in sorted(weeks)]


# --- an artist's releases ------------------------------------------------------------------

def artist_report(artist, now=None):
    """The artist's releases side by side, oldest first: views, pre-saves, conversion,
    deliveries and growth in pre-saves against the release before; and for each release
    its cumulative pre-saves by day since its pre-save opened.

    Growth waits until the release has been open as long as the release before was (or is
    out, its count final): a pre-save opened minutes ago has not lost 100% of its fans.
    Until then `growth_from` says when it will be shown."""
    now = now or now_utc()
    releases = db.session.scalars(select(Release).where(Release.artist_id == artist.id)
                                  .order_by(Release.release_at, Release.id)).all()
    totals = defaultdict(dict)
    stmt = (select(EventDaily.release_id, EventDaily.kind, func.sum(EventDaily.count))
            .where(EventDaily.artist_id == artist.id, EventDaily.kind.in_([VIEW, PRESAVE,
                                                                           DELIVERED]))
            .group_by(EventDaily.release_id, EventDaily.kind))
    for release_id, kind, n in db.session.execute(stmt):
        totals[release_id][kind] = n
    rows, before = [], None
    for release in releases:
        counts = totals.get(release.id, {})
        presaves = counts.get(PRESAVE, 0)
        comparable_at = None
        if before is not None:
            window = before.release_at - before.presave_opens_at
            comparable_at = min(release.presave_opens_at + window, release.release_at)
        earlier = totals.get(before.id, {}).get(PRESAVE, 0) if before is not None else 0
        shown = comparable_at is not None and now >= comparable_at
        rows.append({"release_id": release.id, "title": release.title,
                     "status": release.status, "release_at": release.release_at,
                     "views": counts.get(VIEW, 0), "presaves": presaves,
                     "delivered": counts.get(DELIVERED, 0),
                     "conversion": _rate(presaves, counts.get(VIEW, 0)),
                     "growth": _rate(presaves - earlier, earlier) if shown else None,
                     "growth_from": None if shown or not earlier else comparable_at})
        before = release
    return {"artist_id": artist.id, "name": artist.name, "releases": rows,
            "race": _race(artist, releases)}


def _race(artist, releases):
    """{release id: [(days since pre-save opened, cumulative pre-saves)]}."""
    opened = {r.id: r.presave_opens_at.date() for r in releases}
    stmt = (select(EventDaily.release_id, EventDaily.day, EventDaily.count)
            .where(EventDaily.artist_id == artist.id, EventDaily.kind == PRESAVE)
            .order_by(EventDaily.release_id, EventDaily.day))
    race = defaultdict(list)
    for release_id, day, n in db.session.execute(stmt):
        points = race[release_id]
        points.append(((day - opened[release_id]).days, (points[-1][1] if points else 0) + n))
    return dict(race)


# --- a label's roster ----------------------------------------------------------------------

def roster_report(today=None):
    """Each artist the caller sees: views, pre-saves, conversion, the daily pre-saves of the
    last SPARK_DAYS days and the top cities by pre-saves. Largest roster first."""
    today = today or now_utc().date()
    spark_from = today - timedelta(days=SPARK_DAYS - 1)
    artists = db.session.execute(select(Artist.id, Artist.name, Label.name)
                                 .join(Label, Label.id == Artist.label_id)
                                 .order_by(Label.name, Artist.name)).all()
    totals, spark, places = _roster_totals(), _roster_spark(spark_from, today), _roster_cities()
    rows = []
    for artist_id, name, label in artists:
        counts = totals.get(artist_id, {})
        days = spark.get(artist_id, {})
        rows.append({"artist_id": artist_id, "name": name, "label": label,
                     "views": counts.get(VIEW, 0), "presaves": counts.get(PRESAVE, 0),
                     "conversion": _rate(counts.get(PRESAVE, 0), counts.get(VIEW, 0)),
                     "spark": [{"day": d, "presaves": days.get(d, 0)}
                               for d in _days(spark_from, today)],
                     "last_days": sum(days.values()),
                     "cities": places.get(artist_id, [])})
    rows.sort(key=lambda row: (-row["presaves"], row["label"], row["name"]))
    return {"from": spark_from, "to": today, "artists": rows}


def _roster_totals():
    stmt = (select(EventDaily.artist_id, EventDaily.kind, func.sum(EventDaily.count))
            .where(EventDaily.kind.in_([VIEW, PRESAVE]))
            .group_by(EventDaily.artist_id, EventDaily.kind))
    totals = defaultdict(dict)
    for artist_id, kind, n in db.session.execute(stmt):
        totals[artist_id][kind] = n
    return totals


def _roster_spark(start, end):
    stmt = (select(EventDaily.artist_id, EventDaily.day, func.sum(EventDaily.count))
            .where(EventDaily.kind == PRESAVE, EventDaily.day >= start, EventDaily.day <= end)
            .group_by(EventDaily.artist_id, EventDaily.day))
    spark = defaultdict(dict)
    for artist_id, day, n in db.session.execute(stmt):
        spark[artist_id][day] = n
    return spark


def _roster_cities():
    place = EventTotalPlace
    total = func.sum(place.count)
    stmt = (select(place.artist_id, place.city, place.country, total)
            .where(place.kind == PRESAVE, place.city != "")
            .group_by(place.artist_id, place.country, place.city))
    ranked = defaultdict(list)
    for artist_id, city, country, n in db.session.execute(stmt):
        ranked[artist_id].append((-n, city, country))
    return {artist_id: [{"city": city, "country": country, "presaves": -neg}
                        for neg, city, country in sorted(rows)[:ROSTER_CITIES]]
            for artist_id, rows in ranked.items()}


# --- live campaigns -----------------------------------------------------------------------

PACE_DAYS = 7


def pace(release_ids, today=None):
    """For each release: its pre-saves on each of the last PACE_DAYS days (oldest first, today
    last), today, over those days and in all; page views in all and the conversion (pre-saves
    per view). UTC days."""
    today = today or now_utc().date()
    days = _days(today - timedelta(days=PACE_DAYS - 1), today)
    ids = list(release_ids)
    daily = defaultdict(dict)
    for release_id, day, n in db.session.execute(
            select(EventDaily.release_id, EventDaily.day, func.sum(EventDaily.count))
            .where(EventDaily.release_id.in_(ids), EventDaily.kind == PRESAVE,
                   EventDaily.day >= days[0], EventDaily.day <= today)
            .group_by(EventDaily.release_id, EventDaily.day)):
        daily[release_id][day] = n
    totals = {release_id: (presaves, views) for release_id, presaves, views in db.session.execute(
        select(EventDaily.release_id, _sum_kind(EventDaily, PRESAVE), _sum_kind(EventDaily, VIEW))
        .where(EventDaily.release_id.in_(ids)).group_by(EventDaily.release_id))}
    found = {}
    for release_id in ids:
        presaves, views = totals.get(release_id, (0, 0))
        counts = [daily[release_id].get(day, 0) for day in days]
        found[release_id] = {"days": counts, "today": counts[-1], "week": sum(counts),
                             "total": presaves, "views": views,
                             "conversion": _rate(presaves, views)}
    return found


# --- shared --------------------------------------------------------------------------------

def _sum_kind(model, kind):
    return func.sum(case((model.kind == kind, model.count), else_=0))


def _rate(part, whole):
    return round(part / whole, 4) if whole else None


def _days(first, last):
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
