"""Everything the sandbox remembers, in Redis so that every web process shares it.

Keys are ``sandbox:<platform>:...``; nothing lives in the database. Other code
and tests may call these helpers directly (inside an app context):

    add_catalog_item(platform, isrc=..., upc=..., id=None, title=..., artist=...,
                     release_date=..., kind=None, compilation=False, available_at=None,
                     storefront=None, tracks=None) -> item
    album_tracks(platform, album) -> [track item, ...]
    search_catalog(platform, text) -> [item, ...]  (title and artist words)
    find_catalog(platform, isrc=None, upc=None) -> [item, ...]
    saves(platform, user=None) -> [{"user", "id", "kind", "client_id", "at", "first"}, ...]
    set_faults(platform, **fields) -> faults;  faults(platform);  clear_faults(platform)
    admit(platform, limit, window) -> None, or seconds until the rolling window has room
    count_injected(platform, fault);  injected(platform) -> {fault: answers given}
    expire_tokens / revoke_tokens / backdate_grants(platform, ..., access_token=, refresh_token=, user=)
    token_calls(platform, grant_type="refresh_token") -> calls answered by the token endpoint
    reset(platform=None)
"""
import hashlib
import json
import secrets
import time
from datetime import datetime

from app.extensions import redis_connection
from app.localtime import now_utc
from app.sandbox import ids

PREFIX = "sandbox:"
CODE_TTL = 600
GRANT_TTL = 400 * 86400
EXPIRED_GRACE = 86400  # an expired token stays known a day, so it answers "expired", not "invalid"
IDEMPOTENCY_TTL = 3600

FAULT_DEFAULTS = {"latency_ms": 0, "rate_429": 0.0, "retry_after": 1, "rate_5xx": 0.0,
                  "quota_exceeded": False, "daily_writes": 200,
                  "limit_rps": 0, "limit_window_s": 30, "burst_every_s": 0, "burst_for_s": 0}
FAULT_LIMITS = {"latency_ms": (0, 60000), "rate_429": (0, 1), "retry_after": (0, 86400),
                "rate_5xx": (0, 1), "daily_writes": (0, 10**9), "limit_rps": (0, 10**6),
                "limit_window_s": (0.1, 3600), "burst_every_s": (0, 86400),
                "burst_for_s": (0, 86400)}


def _r():
    return redis_connection()


def _key(platform, *parts):
    return PREFIX + ":".join((platform,) + parts)


def _put(key, value, ttl=None):
    _r().set(key, json.dumps(value), ex=ttl)


def _get(key):
    raw = _r().get(key)
    return json.loads(raw) if raw else None


def now():
    return time.time()


# --- authorization codes -------------------------------------------------

def issue_code(platform, request):
    """A single-use code carrying what the authorize page was asked (client, redirect, PKCE, user)."""
    code = secrets.token_urlsafe(32)
    _put(_key(platform, "code", code), request, CODE_TTL)
    return code


def take_code(platform, code):
    """The code's request, once: a second call (or an unknown code) gives None."""
    key = _key(platform, "code", code)
    pipe = _r().pipeline()
    pipe.get(key)
    pipe.delete(key)
    raw, _ = pipe.execute()
    return json.loads(raw) if raw else None


# --- grants and tokens ---------------------------------------------------

def create_grant(platform, user, client_id, scopes, *, pkce=False, client_auth=None):
    """A fan's grant; user None is an app's own (client-credentials) grant."""
    grant = {"id": secrets.token_hex(12), "platform": platform, "user": user,
             "client_id": client_id, "scopes": list(scopes), "pkce": pkce,
             "client_auth": client_auth, "granted_at": now(), "revoked": False,
             "expired_before": 0}
    _put(_key(platform, "grant", grant["id"]), grant, GRANT_TTL)
    _r().sadd(_key(platform, "grants"), grant["id"])
    return grant


def grant(platform, grant_id):
    return _get(_key(platform, "grant", grant_id))


def grants(platform, user=None):
    found = (grant(platform, gid.decode()) for gid in _r().smembers(_key(platform, "grants")))
    return sorted((g for g in found if g and (user is None or g["user"] == user)),
                  key=lambda g: g["granted_at"])


def _update_grant(platform, grant_id, **changes):
    current = grant(platform, grant_id)
    if current:
        current.update(changes)
        _put(_key(platform, "grant", grant_id), current, GRANT_TTL)
    return current


def issue_access(platform, grant_id, lifetime, prefix=""):
    """An access token for the grant; lifetime 0 means it never expires."""
    token = prefix + secrets.token_urlsafe(32)
    issued = now()
    record = {"grant": grant_id, "issued_at": issued,
              "expires_at": issued + lifetime if lifetime else 0}
    _put(_key(platform, "access", token), record, lifetime + EXPIRED_GRACE if lifetime else None)
    return token


def issue_refresh(platform, grant_id, prefix=""):
    token = prefix + secrets.token_urlsafe(48)
    _put(_key(platform, "refresh", token), {"grant": grant_id}, GRANT_TTL)
    return token


def check_access(platform, token):
    """(grant, problem): problem is None, "invalid", "expired" or "revoked"."""
    record = _get(_key(platform, "access", token)) if token else None
    if not record:
        return None, "invalid"
    current = grant(platform, record["grant"])
    if not current or current["revoked"] or record.get("revoked"):
        return current, "revoked"
    expires = record["expires_at"]
    if (expires and now() >= expires) or record["issued_at"] <= current["expired_before"]:
        return current, "expired"
    return current, None


def check_refresh(platform, token):
    """(grant, problem) for a refresh token: problem None, "invalid" or "revoked"."""
    record = _get(_key(platform, "refresh", token)) if token else None
    if not record:
        return None, "invalid"
    current = grant(platform, record["grant"])
    if not current or current["revoked"] or _r().exists(_key(platform, "retired", token)):
        return current, "revoked"
    return current, None


def retire_refresh(platform, token):
    """Mark a rotated refresh token used; False when another request already did (a race)."""
    return bool(_r().set(_key(platform, "retired", token), "1", nx=True, ex=GRANT_TTL))


def _selected_grants(platform, access_token=None, refresh_token=None, user=None):
    found = []
    for kind, token in (("access", access_token), ("refresh", refresh_token)):
        record = _get(_key(platform, kind, token)) if token else None
        if record:
            found.append(record["grant"])
    if user:
        found += [g["id"] for g in grants(platform, user)]
    return found


def expire_tokens(platform, access_token=None, refresh_token=None, user=None):
    """Expire one access token, or every access token issued so far under the selected grants."""
    if access_token and not (refresh_token or user):
        return _mark_access(platform, access_token, expires_at=now() - 1)
    chosen = _selected_grants(platform, access_token, refresh_token, user)
    for grant_id in chosen:
        _update_grant(platform, grant_id, expired_before=now())
    return len(chosen)


def revoke_tokens(platform, access_token=None, refresh_token=None, user=None):
    """Revoke one access token, or whole grants (by refresh token or user), as a fan removing the app."""
    if access_token and not (refresh_token or user):
        return _mark_access(platform, access_token, revoked=True)
    chosen = _selected_grants(platform, None, refresh_token, user)
    for grant_id in chosen:
        _update_grant(platform, grant_id, revoked=True)
    return len(chosen)


def revoke_grant_of(platform, token):
    """The app revoking a grant by either of its tokens (RFC 7009): how many live grants ended."""
    live = [g for g in dict.fromkeys(_selected_grants(platform, token, token))
            if not grant(platform, g)["revoked"]]
    for grant_id in live:
        _update_grant(platform, grant_id, revoked=True)
    return len(live)


def backdate_grants(platform, seconds, access_token=None, refresh_token=None, user=None):
    """Move the selected grants' original authorisation time back (Spotify's 6-month limit)."""
    chosen = _selected_grants(platform, access_token, refresh_token, user)
    for grant_id in chosen:
        current = grant(platform, grant_id)
        _update_grant(platform, grant_id, granted_at=current["granted_at"] - seconds)
    return len(chosen)


def _mark_access(platform, token, **changes):
    key = _key(platform, "access", token)
    record = _get(key)
    if not record:
        return 0
    record.update(changes)
    ttl = _r().ttl(key)
    _put(key, record, ttl if ttl and ttl > 0 else None)
    return 1


def count_token_call(platform, grant_type):
    _r().hincrby(_key(platform, "token_calls"), grant_type or "none", 1)


def token_calls(platform, grant_type="refresh_token"):
    """How many token-endpoint calls of this grant type the sandbox answered (any outcome)."""
    return int(_r().hget(_key(platform, "token_calls"), grant_type) or 0)


# --- saves ---------------------------------------------------------------

def record_save(platform, user, item_id, kind="track", client_id=None):
    """Keep a save; returns whether the item is new to the user's library."""
    first = bool(_r().sadd(_key(platform, "library", user), f"{kind}:{item_id}"))
    entry = {"user": user, "id": item_id, "kind": kind, "client_id": client_id,
             "at": now(), "first": first}
    _r().rpush(_key(platform, "saves"), json.dumps(entry))
    return first


def remove_save(platform, user, item_id, kind="track"):
    return bool(_r().srem(_key(platform, "library", user), f"{kind}:{item_id}"))


def in_library(platform, user, item_id, kind="track"):
    return bool(_r().sismember(_key(platform, "library", user), f"{kind}:{item_id}"))


def saves(platform, user=None):
    entries = (json.loads(raw) for raw in _r().lrange(_key(platform, "saves"), 0, -1))
    return [e for e in entries if user is None or e["user"] == user]


def library(platform, user, kind="track"):
    """The user's saved items of one kind, oldest first (with repeats removed)."""
    seen, items = set(), []
    for entry in saves(platform, user):
        if entry["kind"] == kind and entry["id"] not in seen and \
                in_library(platform, user, entry["id"], kind):
            seen.add(entry["id"])
            items.append(entry["id"])
    return items


# --- catalogue -----------------------------------------------------------

def normalise_isrc(isrc):
    return (isrc or "").replace("-", "").strip().upper()


def normalise_upc(upc):
    # A UPC-A and its EAN-13 form differ by a leading zero; some stores drop them all.
    return (upc or "").strip().lstrip("0")


def add_catalog_item(platform, *, isrc=None, upc=None, id=None, title="Untitled",
                     artist="Sandbox Artist", release_date=None, kind=None, compilation=False,
                     available_at=None, storefront=None, tracks=None):
    """Add an item the platform 'has'; an ISRC or UPC may map to several items (a single,
    the album version, a various-artists compilation). ``available_at`` (aware datetime or
    ISO 8601): the item is not found before then, by the app's clock (a delivery landing
    after the release). ``storefront``: the only Apple Music storefront whose catalogue has
    this id (None: every one), as Apple's ids differ per storefront. ``tracks``: an album's
    track ids, in order (items added before it)."""
    if storefront is not None and not (len(storefront) == 2 and storefront.isalpha()
                                       and storefront.islower()):
        raise ValueError("storefront is two lower-case letters, such as gb")
    if isinstance(available_at, str):
        available_at = _instant(available_at)
    if not (isrc or upc or id):
        raise ValueError("an item needs an isrc, a upc or an id")
    item = {"id": str(id or ids.new_item_id(platform)), "kind": kind or ("album" if upc else "track"),
            "isrc": normalise_isrc(isrc) or None, "upc": (upc or "").strip() or None,
            "title": title, "artist": artist, "release_date": release_date,
            "compilation": bool(compilation), "storefront": storefront,
            "tracks": [str(track) for track in tracks or []],
            "available_at": available_at.isoformat() if available_at else None}
    _put(_key(platform, "catalog", "item", item["id"]), item)
    _r().sadd(_key(platform, "catalog", "all"), item["id"])
    for field, value in (("isrc", normalise_isrc(isrc)), ("upc", normalise_upc(upc))):
        index = _key(platform, "catalog", field, value)
        if value and item["id"].encode() not in _r().lrange(index, 0, -1):
            _r().rpush(index, item["id"])
    return item


def catalog_item(platform, item_id, kind=None):
    item = _get(_key(platform, "catalog", "item", str(item_id)))
    if not item or (kind is not None and item["kind"] != kind):
        return None
    available = item.get("available_at")
    return item if not available or _instant(available) <= now_utc() else None


def album_tracks(platform, album):
    """An album item's tracks (those still in the catalogue), in order."""
    tracks = (catalog_item(platform, track, "track") for track in album.get("tracks") or [])
    return [found for found in tracks if found]


def track_count(album):
    return max(len(album.get("tracks") or []), 1)


def in_storefront(item, storefront):
    """Whether an Apple Music storefront's catalogue has the item (under this id)."""
    return item is not None and item.get("storefront") in (None, storefront)


def listed(platform, isrc):
    """Whether an item with this ISRC was added, available yet or not."""
    return bool(_r().llen(_key(platform, "catalog", "isrc", normalise_isrc(isrc))))


def _instant(text):
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("available_at must be an ISO 8601 date-time") from None
    if value.tzinfo is None:
        raise ValueError("available_at needs a UTC offset")
    return value


def find_catalog(platform, isrc=None, upc=None):
    field, value = ("isrc", normalise_isrc(isrc)) if isrc else ("upc", normalise_upc(upc))
    if not value:
        return []
    item_ids = _r().lrange(_key(platform, "catalog", field, value), 0, -1)
    return [item for item in (catalog_item(platform, i.decode()) for i in item_ids) if item]


def search_catalog(platform, text):
    """Items whose title and artist words all appear in ``text`` (a plain search), by id."""
    words = set(_words(text))
    known = _r().smembers(_key(platform, "catalog", "all"))
    found = (catalog_item(platform, i.decode()) for i in known)
    return sorted((item for item in found if item and words and
                   set(_words(item["title"] + " " + item["artist"])) <= words),
                  key=lambda item: item["id"])


def _words(text):
    return "".join(c if c.isalnum() else " " for c in (text or "").casefold()).split()


# --- faults and quotas ---------------------------------------------------

def faults(platform):
    stored = _get(_key(platform, "faults")) or {}
    return {**FAULT_DEFAULTS, **stored}


def set_faults(platform, **fields):
    """Merge fault settings (see FAULT_DEFAULTS); ValueError names a bad field."""
    current = _get(_key(platform, "faults")) or {}
    for name, value in fields.items():
        current[name] = _fault_value(name, value)
    _put(_key(platform, "faults"), current)
    return faults(platform)


def _fault_value(name, value):
    if name not in FAULT_DEFAULTS:
        raise ValueError(f"unknown fault {name!r}; known: {', '.join(FAULT_DEFAULTS)}")
    if name == "quota_exceeded":
        if not isinstance(value, bool):
            raise ValueError("quota_exceeded must be true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number")
    low, high = FAULT_LIMITS[name]
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}")
    return value


def clear_faults(platform):
    _r().delete(_key(platform, "faults"), _key(platform, "window"))


# Admitted requests of the last ``window`` seconds, as a sorted set scored by time. Answers
# "0" when this one is admitted, else the seconds until the oldest one that blocks it leaves.
# Strings, because Redis truncates a Lua number to an integer.
_ADMIT = """
local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local held = redis.call('ZCARD', KEYS[1])
if held < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], math.ceil(window * 1000) + 1000)
  return '0'
end
local blocking = redis.call('ZRANGE', KEYS[1], held - limit, held - limit, 'WITHSCORES')
return tostring(tonumber(blocking[2]) + window - now)
"""


def admit(platform, limit, window):
    """Count one request against a rolling window of ``limit`` requests per ``window``
    seconds, shared by every web process: None when admitted, else the seconds to wait."""
    at = now()
    wait = float(_r().eval(_ADMIT, 1, _key(platform, "window"), repr(at), repr(window),
                           int(limit), f"{at!r}:{secrets.token_hex(4)}"))
    return wait if wait > 0 else None


def count_injected(platform, fault):
    _r().hincrby(_key(platform, "injected"), fault, 1)


def injected(platform):
    """{fault: how many answers it gave} since the last reset."""
    counts = _r().hgetall(_key(platform, "injected"))
    return {name.decode(): int(count) for name, count in counts.items()}


def count_write(platform, day):
    """Count one write against the day's quota; the count so far, this one included."""
    key = _key(platform, "quota", day)
    pipe = _r().pipeline()
    pipe.incr(key)
    pipe.expire(key, 3 * 86400)
    return pipe.execute()[0]


# --- idempotency (TIDAL's Idempotency-Key) -------------------------------

def fingerprint(payload):
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def claim_idempotency(platform, scope, key, print_):
    """None when this request now owns the key; else the stored record (maybe still pending)."""
    redis_key = _key(platform, "idempotency", scope, key)
    record = {"fingerprint": print_, "pending": True}
    if _r().set(redis_key, json.dumps(record), nx=True, ex=IDEMPOTENCY_TTL):
        return None
    return _get(redis_key) or {"fingerprint": print_, "pending": True}


def store_idempotency(platform, scope, key, print_, status, body):
    record = {"fingerprint": print_, "pending": False, "status": status, "body": body}
    _put(_key(platform, "idempotency", scope, key), record, IDEMPOTENCY_TTL)


def release_idempotency(platform, scope, key):
    _r().delete(_key(platform, "idempotency", scope, key))


# --- settings and reset --------------------------------------------------

def set_setting(platform, name, value):
    _put(_key(platform, "setting", name), value)


def setting(platform, name):
    return _get(_key(platform, "setting", name))


def reset(platform=None):
    """Forget everything the sandbox holds (for one platform, or all)."""
    pattern = _key(platform, "*") if platform else PREFIX + "*"
    keys = list(_r().scan_iter(match=pattern, count=1000))
    for start in range(0, len(keys), 500):
        _r().delete(*keys[start:start + 500])
    return len(keys)
