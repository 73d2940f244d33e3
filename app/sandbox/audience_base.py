"""What the email marketing tools' stand-ins (mailchimp.py, klaviyo.py) share: the
blueprint and its API routes' plumbing (faults, then the key: see base.py), lists made
through the sandbox-only /_lists route, and their state in Redis under state.PREFIX +
"<tool>:".

    GET  /sandbox/<tool>/_lists          {"lists": [{"id", "name"}, ...]}
    POST /sandbox/<tool>/_lists {name}   201 {"id", "name"}: a list (audience) to sync into

A list's members are kept in the order they joined (a sorted set scored by a counter), so
pages by offset or cursor are stable; calls(list_id) tells what each write was asked to do.
"""
import json
import re
from datetime import datetime, timezone

from flask import jsonify, request

from app.extensions import redis_connection
from app.sandbox import state
from app.sandbox.base import blueprint_for, faults_first, json_body, state_key

ANY_METHOD = ["GET", "POST", "PUT", "PATCH", "DELETE"]
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def an_email(value):
    """Whether both tools would take ``value`` as an address (the shape only)."""
    return isinstance(value, str) and _EMAIL.fullmatch(value) is not None


def iso(at):
    """A Unix time as both tools write instants."""
    return datetime.fromtimestamp(at, timezone.utc).isoformat(timespec="seconds")


class Audiences:
    """One tool's stand-in. Its dialect shapes errors (error, not_found, rate_limited,
    unavailable) and refuse() answers a request whose credentials or headers the tool would
    not take, else None; on_create(list_id) sets up what a new list starts with."""

    def __init__(self, dialect, new_list_id, on_create=None):
        self.dialect, self.new_list_id, self.on_create = dialect, new_list_id, on_create
        self.key = state_key(dialect.platform)
        self.blueprint = blueprint_for(dialect.platform)
        self.blueprint.add_url_rule("/_lists", "lists", self._lists_view,
                                    methods=["GET", "POST"])

    def api(self, rule, methods=("GET",)):
        """An API view: injected faults first, as every stand-in does, then the key."""
        def register(view):
            handler = faults_first(self.dialect, self.dialect.refuse)(view)
            self.blueprint.add_url_rule(rule, f"{view.__name__}_{'_'.join(methods)}", handler,
                                        methods=list(methods), strict_slashes=False)
            return view
        return register

    def unknown_paths(self, prefix):
        """Paths the tool does not have answer its own 404, after faults and the key."""
        def unknown(unknown):
            return self.dialect.not_found()
        self.api(f"{prefix}/<path:unknown>", ANY_METHOD)(unknown)

    # --- lists -------------------------------------------------------------

    def create_list(self, name):
        made = {"id": self.new_list_id(), "name": name, "created": state.now()}
        self._r().hset(self.key + "lists", made["id"], json.dumps(made))
        if self.on_create:
            self.on_create(made["id"])
        return made

    def get_list(self, list_id):
        raw = self._r().hget(self.key + "lists", list_id)
        return json.loads(raw) if raw else None

    def all_lists(self):
        found = (json.loads(raw) for raw in self._r().hvals(self.key + "lists"))
        return sorted(found, key=lambda made: made["created"])

    def _lists_view(self):
        if request.method == "GET":
            return jsonify(lists=[{"id": m["id"], "name": m["name"]} for m in self.all_lists()])
        name = (json_body() or {}).get("name")
        if not isinstance(name, str) or not name.strip():
            return jsonify(error="name the list: {\"name\": \"...\"}"), 400
        made = self.create_list(name.strip())
        return jsonify(id=made["id"], name=made["name"]), 201

    # --- membership, in joining order --------------------------------------

    def _members(self, list_id):
        return f"{self.key}list:{list_id}:members"

    def enrol(self, list_id, keys):
        """Add keys to the list; those already on it keep their place."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return
        last = self._r().incrby(self.key + "seq", len(keys))
        scores = {k: last - len(keys) + i + 1 for i, k in enumerate(keys)}
        self._r().zadd(self._members(list_id), scores, nx=True)

    def drop(self, list_id, keys):
        if keys:
            self._r().zrem(self._members(list_id), *keys)

    def page(self, list_id, offset, count):
        """(keys from ``offset``, at most ``count``; how many the list has)."""
        pipe = self._r().pipeline()
        pipe.zrange(self._members(list_id), offset, offset + count - 1)
        pipe.zcard(self._members(list_id))
        keys, total = pipe.execute()
        return [k.decode() for k in keys], total

    def size(self, list_id):
        return self._r().zcard(self._members(list_id))

    def on_list(self, list_id):
        return [k.decode() for k in self._r().zrange(self._members(list_id), 0, -1)]

    # --- records (JSON by key, in a hash) ----------------------------------

    def records(self, name, keys):
        """{key: record} of those that exist."""
        keys = list(keys)
        if not keys:
            return {}
        found = self._r().hmget(self.key + name, keys)
        return {k: json.loads(raw) for k, raw in zip(keys, found) if raw}

    def all_records(self, name):
        found = self._r().hgetall(self.key + name)
        return {k.decode(): json.loads(raw) for k, raw in found.items()}

    def store(self, name, records):
        if records:
            self._r().hset(self.key + name, mapping={k: json.dumps(v) for k, v in
                                                     records.items()})

    def forget(self, name, keys):
        if keys:
            self._r().hdel(self.key + name, *keys)

    # --- what was asked ----------------------------------------------------

    def record_call(self, list_id, operation, size):
        self._r().rpush(f"{self.key}list:{list_id}:calls", json.dumps([operation, size]))

    def calls(self, list_id):
        """[(operation, items it carried), ...] of the writes to a list, oldest first."""
        raw = self._r().lrange(f"{self.key}list:{list_id}:calls", 0, -1)
        return [tuple(json.loads(r)) for r in raw]

    @staticmethod
    def _r():
        return redis_connection()
