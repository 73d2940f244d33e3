"""Mailchimp Marketing API 3.0, for a label's audience (list): the fans who agreed to its
marketing email.

The key ends with its data centre ("…-us21"), which names the API's host
(https://us21.api.mailchimp.com/3.0); it goes as the password of HTTP Basic auth, the user
name being anything. MAILCHIMP_API_URL overrides the base; with it unset and the sandbox on,
the sandbox's stand-in (app.sandbox.mailchimp) answers and the data centre is not read.

Mailchimp allows 10 simultaneous connections per key: each call here holds one, so no more
than a few sync jobs of one label should run at once. A member's id is the MD5 of the
lower-cased email (subscriber_hash).
"""
import hashlib
import re

from flask import current_app

from app.integrations.audiences import Api, SyncError, segment
from app.integrations.outside import base_url

SETTING, SANDBOX_PATH = "MAILCHIMP_API_URL", "/sandbox/mailchimp/3.0"
BATCH = 500  # members per batch call, Mailchimp's limit
PAGE = 1000  # members per listing page, Mailchimp's limit
TEXT_MAX = 255  # characters of a text merge field
TAG_MAX = 100  # characters of a tag's name
# Merge fields the sync fills: (tag, name, type). A new audience has FNAME, LNAME and PHONE
# already; an older one may lack PHONE, so every one is checked.
MERGE_FIELDS = (("FNAME", "First Name", "text"), ("LNAME", "Last Name", "text"),
                ("PHONE", "Phone Number", "phone"), ("COUNTRY", "Country", "text"),
                ("ARTIST", "Artist", "text"), ("RELEASE", "Release", "text"),
                ("PLATFORM", "Platform", "text"), ("SOURCE", "Source", "text"))
_DATA_CENTRE = re.compile(r"[a-z]{2,}[0-9]+")


def subscriber_hash(email):
    return hashlib.md5(email.strip().lower().encode(), usedforsecurity=False).hexdigest()


def check(api_key, list_id):
    """The audience's name: proves both the key and the audience."""
    with _api(api_key) as api:
        return api.call("GET", _list(list_id), params={"fields": "id,name"})["name"]


def ensure_merge_fields(api_key, list_id):
    """Create the merge fields the sync fills that the audience lacks (a member naming a
    missing one is refused); the tags created."""
    with _api(api_key) as api:
        found = api.call("GET", _list(list_id) + "/merge-fields",
                         params={"count": 1000, "fields": "merge_fields.tag"})
        have = {field["tag"] for field in found.get("merge_fields") or []}
        created = []
        for tag, name, kind in MERGE_FIELDS:
            if tag not in have:
                api.call("POST", _list(list_id) + "/merge-fields",
                         body=_merge_field(tag, name, kind))
                created.append(tag)
        return created


def _merge_field(tag, name, kind):
    field = {"tag": tag, "name": name, "type": kind, "required": False, "public": False}
    if kind == "phone":
        field["options"] = {"phone_format": "none"}  # international: E.164 numbers fit
    return field


def upsert(api_key, list_id, members):
    """Add or update the members, at most BATCH per call; {created, updated, errors:
    [{email, message}]}. Mailchimp refuses single members (in errors) and keeps the others.

    Each member carries status "subscribed" besides status_if_new: the caller passes only
    fans whose consent is live now, and a fan who withdrew and then agreed again has to be
    subscribed again, which status_if_new alone would not do (Mailchimp leaves an existing
    unsubscribed member unsubscribed). The other side of that rule: a fan who unsubscribed
    through Mailchimp's own link must have that brought home (members() shows it) before
    they are upserted again, or they would be subscribed against their wish. Tags are only
    ever added, never removed. A retry after a failed call repeats the batches that went
    through, which changes nothing.
    """
    counts = {"created": 0, "updated": 0, "errors": []}
    with _api(api_key) as api:
        for run in api.batches([_member(m) for m in members], BATCH):
            answer = api.call("POST", _list(list_id),
                              body={"members": run, "update_existing": True})
            counts["created"] += answer.get("total_created", 0)
            counts["updated"] += answer.get("total_updated", 0)
            counts["errors"] += [{"email": e.get("email_address"), "message": _refusal(e)}
                                 for e in answer.get("errors") or []]
    return counts


def _member(member):
    values = (("FNAME", member.first_name), ("LNAME", member.last_name),
              ("PHONE", member.phone), ("COUNTRY", member.country), ("ARTIST", member.artist),
              ("RELEASE", member.release), ("PLATFORM", member.platform),
              ("SOURCE", member.source))
    return {"email_address": member.email, "status_if_new": "subscribed",
            "status": "subscribed",
            "merge_fields": {tag: value[:TEXT_MAX] for tag, value in values if value},
            "tags": [tag[:TAG_MAX] for tag in member.tags]}


def _refusal(error):
    said = error.get("error") or "refused"
    field = error.get("field")
    return f"{said} ({field}: {error.get('field_message')})" if field else said


def unsubscribe(api_key, list_id, emails):
    """Mark each email unsubscribed; the ones the audience had (one missing is fine: there
    is nothing to stop)."""
    found, audience_seen = [], False
    with _api(api_key) as api:
        for email in emails:
            answer = api.call("PATCH", _member_path(list_id, email),
                              body={"status": "unsubscribed"}, missing_ok=True)
            if answer is not None:
                found.append(email)
            elif not audience_seen:
                audience_seen = _audience_is_there(api, list_id)
    return found


def delete_permanently(api_key, list_id, email):
    """Erase the member for good (Mailchimp will refuse to import the address again);
    whether the audience had it."""
    with _api(api_key) as api:
        erased = api.call("POST", _member_path(list_id, email) + "/actions/delete-permanent",
                          missing_ok=True) is not None
        return erased or not _audience_is_there(api, list_id)


def _audience_is_there(api, list_id):
    """Mailchimp answers 404 alike for a member and for an audience that are not there: a
    member's 404 means "nothing to do" only once the audience is known (else SyncError)."""
    api.call("GET", _list(list_id), params={"fields": "id"})
    return True


def members(api_key, list_id):
    """(email, status) of every member, PAGE at a time. Paging is by offset, so members
    added or erased while it runs may be skipped or seen twice: reconcile on the whole."""
    with _api(api_key) as api:
        offset = 0
        while True:
            page = api.call("GET", _list(list_id) + "/members", params={
                "count": PAGE, "offset": offset,
                "fields": "members.email_address,members.status,total_items"})
            rows = page.get("members") or []
            for row in rows:
                yield row["email_address"], row["status"]
            offset += len(rows)
            if not rows or offset >= page.get("total_items", 0):
                return


def _list(list_id):
    return f"/lists/{segment(list_id)}"


def _member_path(list_id, email):
    return f"{_list(list_id)}/members/{subscriber_hash(email)}"


def _api(api_key):
    api_key = api_key.strip()
    url = base_url(current_app.config, SETTING, SANDBOX_PATH, _real_url(api_key))
    if not url:
        raise SyncError("Mailchimp: the API key does not end with its data centre "
                        "(like -us21)", auth=True)
    return Api("Mailchimp", url, _explain, secrets=(api_key, api_key.rpartition("-")[0]),
               auth=("presave", api_key))


def _real_url(api_key):
    _, dash, centre = api_key.rpartition("-")
    return f"https://{centre}.api.mailchimp.com/3.0" if dash and _DATA_CENTRE.fullmatch(
        centre) else ""


def _explain(body):
    """Mailchimp's problem+json: title, detail and any field errors."""
    fields = [f"{e.get('field')}: {e.get('message')}" for e in body.get("errors") or []
              if isinstance(e, dict)]
    return ": ".join(part for part in (body.get("title"), body.get("detail"), *fields) if part)
