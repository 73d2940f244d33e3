"""Klaviyo's API, the routes the audience sync uses, under /sandbox/klaviyo/api/:

    GET  lists/<id>/                              the list
    GET  lists/<id>/profiles/                     its profiles, page[size] ≤ 100, page[cursor]
    POST profile-bulk-import-jobs/                profiles and their properties (≤ 10,000)
    POST profile-subscription-bulk-create-jobs/   consent SUBSCRIBED, onto the list (≤ 1,000)
    POST profile-subscription-bulk-delete-jobs/   consent UNSUBSCRIBED, off the list (≤ 100)
    POST data-privacy-deletion-jobs/              the profile erased everywhere

Answers as Klaviyo does: "Authorization: Klaviyo-API-Key <SANDBOX_KEY>" (else 401
not_authenticated) and a `revision` header (else 400 invalid) on every call, errors as
{"errors": [{id, status, code, title, detail, source}]}, 404 not_found for a list that is
not there. Lists exist only once made through POST /sandbox/klaviyo/_lists {name} (see
audience_base) or create_list(). Consent is the profile's, for the whole account, as
Klaviyo's is; list membership is kept beside it. Jobs are carried out before the 202 that
Klaviyo answers them with (the import job's resource says "complete"), so a test can look
at once. The listing's links.next is an absolute URL with page[cursor]. Faults
(state.set_faults("klaviyo", ...)) answer 429 throttled with Retry-After, or 503.
"""
import base64
import re
import secrets
import string
import uuid

from flask import jsonify, request

from app.sandbox import state
from app.sandbox.audience_base import Audiences, an_email, iso
from app.sandbox.base import Dialect as BaseDialect, json_body, json_error, retry_later

SANDBOX_KEY = "pk_sandbox00000000000000000000000000"
MAX_IMPORT, MAX_SUBSCRIBE, MAX_UNSUBSCRIBE, MAX_PAGE = 10_000, 1000, 100, 100
DEFAULT_PAGE = 20
PROFILE_FIELDS = ("email", "phone_number", "first_name", "last_name")
REVISION = re.compile(r"\d{4}-\d{2}-\d{2}(\.[a-z]+)?")
ERRORS = {400: ("invalid", "Invalid input."),
          401: ("not_authenticated", "Authentication credentials were not provided."),
          403: ("permission_denied", "You do not have permission to perform this action."),
          404: ("not_found", "Not found."), 429: ("throttled", "Request was throttled."),
          503: ("service_unavailable", "Service unavailable.")}
PROFILES = "profiles"  # every profile of the sandbox account, by lower-cased email


class Dialect(BaseDialect):
    platform, name = "klaviyo", "Klaviyo (sandbox)"

    def error(self, status, message, source=None, **extra):
        code, title = ERRORS.get(status, ("error", "Error."))
        return json_error(status, {"errors": [{
            "id": str(uuid.uuid4()), "status": status, "code": code, "title": title,
            "detail": message, "source": source or {"pointer": "/data/"}}]})

    def rate_limited(self, retry_after):
        unit = "second" if retry_after == 1 else "seconds"
        return retry_later(self.error(429, f"Request was throttled. Expected available in "
                                           f"{retry_after} {unit}."), retry_after)

    def not_found(self):
        return self.error(404, "Not found.")

    def refuse(self):
        scheme, _, key = request.headers.get("Authorization", "").partition(" ")
        if scheme != "Klaviyo-API-Key" or key.strip() != SANDBOX_KEY:
            return self.error(401, "Missing or invalid private key.")
        revision = request.headers.get("revision", "")
        if not REVISION.fullmatch(revision):
            return self.error(400, "A `revision` header is required, naming the API revision "
                                   "(YYYY-MM-DD) the call was written for.",
                              {"parameter": "revision"})
        return None


def _list_id():
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(6))


DIALECT = Dialect()
KLAVIYO = Audiences(DIALECT, _list_id)
blueprint = KLAVIYO.blueprint


# --- for tests and the demo ------------------------------------------------

def create_list(name):
    """A new list's id."""
    return KLAVIYO.create_list(name)["id"]


def audience(list_id):
    """{email: {subscribed, first_name, last_name, phone_number, location, properties}} of
    the list's profiles."""
    found = KLAVIYO.records(PROFILES, KLAVIYO.on_list(list_id))
    return {p["email"]: {"subscribed": _consent(p) == "SUBSCRIBED",
                         **{k: p.get(k) for k in PROFILE_FIELDS[1:]},
                         "location": p["location"], "properties": p["properties"]}
            for p in found.values()}


def profile(email):
    """The account's profile for an email, on any list or none, or None."""
    return KLAVIYO.records(PROFILES, [email.lower()]).get(email.lower())


def calls(list_id):
    """[(job, profiles), ...] of the jobs that named the list."""
    return KLAVIYO.calls(list_id)


# --- the API -----------------------------------------------------------------

@KLAVIYO.api("/api/lists/<list_id>/")
def get_list(list_id):
    made = KLAVIYO.get_list(list_id)
    if made is None:
        return DIALECT.not_found()
    return jsonify(data={"type": "list", "id": list_id, "attributes": {
        "name": made["name"], "created": iso(made["created"]),
        "updated": iso(made["created"]), "opt_in_process": "single_opt_in"},
        "links": {"self": request.base_url}})


@KLAVIYO.api("/api/lists/<list_id>/profiles/")
def list_profiles(list_id):
    if KLAVIYO.get_list(list_id) is None:
        return DIALECT.not_found()
    try:
        size = int(request.args.get("page[size]", DEFAULT_PAGE))
        offset = _offset(request.args.get("page[cursor]"))
    except ValueError:
        return DIALECT.error(400, f"page[size] is 1 to {MAX_PAGE}; page[cursor] as given in "
                                  "links", {"parameter": "page"})
    if not 1 <= size <= MAX_PAGE:
        return DIALECT.error(400, f"page[size] must be 1 to {MAX_PAGE}.",
                             {"parameter": "page[size]"})
    keys, total = KLAVIYO.page(list_id, offset, size)
    found = KLAVIYO.records(PROFILES, keys)
    extra = "subscriptions" in request.args.get("additional-fields[profile]", "").split(",")
    following = None
    if offset + size < total:
        following = (f"{request.base_url}?page%5Bsize%5D={size}&page%5Bcursor%5D="
                     f"{_cursor(offset + size)}" + ("&additional-fields%5Bprofile%5D="
                                                    "subscriptions" if extra else ""))
    return jsonify(data=[_resource(found[k], extra) for k in keys if k in found],
                   links={"self": request.url, "next": following, "prev": None})


def _cursor(offset):
    return base64.urlsafe_b64encode(f"next::{offset}".encode()).decode().rstrip("=")


def _offset(cursor):
    if not cursor:
        return 0
    text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    if not text.startswith("next::"):
        raise ValueError(cursor)
    return max(0, int(text.removeprefix("next::")))


def _resource(found, subscriptions):
    attributes = {**{k: found.get(k) for k in PROFILE_FIELDS}, "location": found["location"],
                  "properties": found["properties"], "created": found["created"],
                  "updated": found["updated"]}
    if subscriptions:
        attributes["subscriptions"] = {"email": {"marketing": {
            "consent": _consent(found), "consent_timestamp": found.get("consented_at")}}}
    return {"type": "profile", "id": found["id"], "attributes": attributes}


def _consent(found):
    return found.get("consent", "NEVER_SUBSCRIBED")


def _job(kind, most, list_relationship):
    """(profiles' attributes, list ids, None) of a valid job body, else (None, None, 4xx)."""
    data = (json_body() or {}).get("data")
    if not isinstance(data, dict) or data.get("type") != kind:
        return None, None, DIALECT.error(400, f"The type must be '{kind}'.",
                                         {"pointer": "/data/type"})
    profiles = ((data.get("attributes") or {}).get("profiles") or {}).get("data")
    if not isinstance(profiles, list) or not profiles:
        return None, None, DIALECT.error(400, "Profiles are required.",
                                         {"pointer": "/data/attributes/profiles/data"})
    if len(profiles) > most:
        return None, None, DIALECT.error(400, f"At most {most} profiles may be sent in one "
                                              "request.",
                                         {"pointer": "/data/attributes/profiles/data"})
    for i, item in enumerate(profiles):
        attributes = item.get("attributes") if isinstance(item, dict) else None
        if not isinstance(attributes, dict) or not an_email(attributes.get("email")):
            return None, None, DIALECT.error(
                400, "Invalid email address.",
                {"pointer": f"/data/attributes/profiles/data/{i}/attributes/email"})
    lists = _lists(data.get("relationships") or {}, list_relationship)
    missing = [list_id for list_id in lists if KLAVIYO.get_list(list_id) is None]
    if missing:
        return None, None, DIALECT.error(404, f"A list with id {missing[0]} does not exist.",
                                         {"pointer": f"/data/relationships/{list_relationship}"})
    return [item["attributes"] for item in profiles], lists, None


def _lists(relationships, name):
    """The list ids a job names: "lists" holds several, "list" one."""
    named = (relationships.get(name) or {}).get("data")
    named = named if isinstance(named, list) else [named] if named else []
    return [str(n.get("id")) for n in named if isinstance(n, dict)]


def _profiles(emails):
    """{lower-cased email: profile}, made for those the account does not have yet."""
    keys = [email.lower() for email in emails]
    found = KLAVIYO.records(PROFILES, keys)
    now = iso(state.now())
    for email, key in zip(emails, keys):
        if key not in found:
            found[key] = {"id": _profile_id(), "email": email, "location": {},
                          "properties": {}, "created": now, "updated": now}
    return found


def _profile_id():
    return "01" + "".join(secrets.choice("0123456789ABCDEFGHJKMNPQRSTVWXYZ") for _ in range(24))


def _accepted(kind=None, count=0):
    """202, with the job's resource for an import (Klaviyo answers the others with none)."""
    if kind is None:
        return "", 202
    now = iso(state.now())
    job = {"type": kind, "id": secrets.token_hex(16), "attributes": {
        "status": "complete", "created_at": now, "started_at": now, "completed_at": now,
        "total_count": count, "completed_count": count, "failed_count": 0}}
    return jsonify(data=job), 202


@KLAVIYO.api("/api/profile-bulk-import-jobs/", methods=("POST",))
def bulk_import():
    kind = "profile-bulk-import-job"
    given, lists, problem = _job(kind, MAX_IMPORT, "lists")
    if problem:
        return problem
    found = _profiles([p["email"] for p in given])
    for attributes in given:
        _imported(found[attributes["email"].lower()], attributes)
    KLAVIYO.store(PROFILES, found)
    for list_id in lists:
        KLAVIYO.enrol(list_id, list(found))
        KLAVIYO.record_call(list_id, "import", len(given))
    return _accepted(kind, len(given))


def _imported(found, attributes):
    """What an import sets; a missing or null value changes nothing, as in Klaviyo."""
    for name in PROFILE_FIELDS:
        if attributes.get(name) is not None:
            found[name] = attributes[name]
    for name in ("location", "properties"):
        if isinstance(attributes.get(name), dict):
            found[name] = {**found[name], **{k: v for k, v in attributes[name].items()
                                             if v is not None}}
    found["updated"] = iso(state.now())


@KLAVIYO.api("/api/profile-subscription-bulk-create-jobs/", methods=("POST",))
def bulk_subscribe():
    return _consent_job("profile-subscription-bulk-create-job", MAX_SUBSCRIBE, "SUBSCRIBED")


@KLAVIYO.api("/api/profile-subscription-bulk-delete-jobs/", methods=("POST",))
def bulk_unsubscribe():
    return _consent_job("profile-subscription-bulk-delete-job", MAX_UNSUBSCRIBE,
                        "UNSUBSCRIBED")


def _consent_job(kind, most, consent):
    """Consent for every profile named (made when unknown, as Klaviyo does); a subscription
    puts them on the list, an unsubscription takes them off it."""
    given, lists, problem = _job(kind, most, "list")
    if problem:
        return problem
    found = _profiles([p["email"] for p in given])
    now = iso(state.now())
    for record in found.values():
        record.update(consent=consent, consented_at=now, updated=now)
    KLAVIYO.store(PROFILES, found)
    for list_id in lists:
        (KLAVIYO.enrol if consent == "SUBSCRIBED" else KLAVIYO.drop)(list_id, list(found))
        KLAVIYO.record_call(list_id, "subscribe" if consent == "SUBSCRIBED" else "unsubscribe",
                            len(given))
    return _accepted()


@KLAVIYO.api("/api/data-privacy-deletion-jobs/", methods=("POST",))
def deletion():
    data = (json_body() or {}).get("data") or {}
    named = (((data.get("attributes") or {}).get("profile") or {}).get("data") or {})
    email = (named.get("attributes") or {}).get("email")
    if data.get("type") != "data-privacy-deletion-job" or not isinstance(email, str):
        return DIALECT.error(400, "Name the profile to delete by its email.",
                             {"pointer": "/data/attributes/profile"})
    KLAVIYO.forget(PROFILES, [email.lower()])
    for made in KLAVIYO.all_lists():
        KLAVIYO.drop(made["id"], [email.lower()])
    return _accepted()


KLAVIYO.unknown_paths("/api")
