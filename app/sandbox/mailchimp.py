"""Mailchimp's Marketing API 3.0, the routes the audience sync uses, under
/sandbox/mailchimp/3.0/:

    GET   lists/<id>                                   the audience
    POST  lists/<id>                                   batch subscribe (≤ 500 members)
    GET   lists/<id>/merge-fields, POST the same       merge fields (count/offset paged)
    GET   lists/<id>/members                           members (count ≤ 1000, offset)
    PATCH lists/<id>/members/<md5>                     one member's status, merge fields
    POST  lists/<id>/members/<md5>/actions/delete-permanent

Answers as Mailchimp does: HTTP Basic auth with any user name and SANDBOX_KEY as password
(else 401 "API Key Invalid"), errors as application/problem+json {type, title, status,
detail, instance}, 404 "Resource Not Found" for an audience or member that is not there;
`fields` narrows an answer. Audiences exist only once made through POST
/sandbox/mailchimp/_lists {name} (see audience_base) or create_list(), with Mailchimp's
default merge fields (FNAME, LNAME, ADDRESS, PHONE, BIRTHDAY); a member naming any other
merge field is refused until it is created (in a batch that member goes into errors and the
others are kept; PATCH answers 400 with the errors list). In a batch with update_existing,
status_if_new applies only to new members and status to existing ones too: an unsubscribed
member stays unsubscribed unless status says "subscribed". An address deleted permanently
cannot come back through a batch. Faults (state.set_faults("mailchimp", ...)) answer 429
"Too Many Requests" with Retry-After, or 503.
"""
import functools
import re
import secrets
import uuid

from flask import jsonify, request

from app.integrations.mailchimp import subscriber_hash
from app.sandbox import state
from app.sandbox.audience_base import Audiences, an_email, iso
from app.sandbox.base import Dialect as BaseDialect, json_body, json_error, retry_later

SANDBOX_KEY = "sandbox0000000000000000000000000-us0"
MAX_BATCH, MAX_COUNT, TEXT_MAX = 500, 1000, 255  # Mailchimp's limits
STATUSES = {"subscribed", "unsubscribed", "cleaned", "pending", "transactional"}
MERGE_TYPES = {"text", "number", "address", "phone", "date", "url", "imageurl", "radio",
               "dropdown", "birthday", "zip"}
DEFAULT_FIELDS = (("FNAME", "First Name", "text"), ("LNAME", "Last Name", "text"),
                  ("ADDRESS", "Address", "address"), ("PHONE", "Phone Number", "phone"),
                  ("BIRTHDAY", "Birthday", "birthday"))
TAG = re.compile(r"[A-Z0-9_]{1,10}")
TITLES = {400: "Invalid Resource", 401: "API Key Invalid", 404: "Resource Not Found",
          429: "Too Many Requests", 503: "Service Unavailable"}
INVALID = ("The resource submitted could not be validated. For field-specific details, see "
           "the 'errors' array.")
MERGE_INVALID = "Your merge fields were invalid."
DELETED = ("{} was permanently deleted and cannot be re-imported. The contact must "
           "re-subscribe to get back on the list.")


class Dialect(BaseDialect):
    platform, name = "mailchimp", "Mailchimp (sandbox)"

    def error(self, status, message, **extra):
        problem = {"type": "https://mailchimp.com/developer/marketing/docs/errors/",
                   "title": TITLES.get(status, "Bad Request"), "status": status,
                   "detail": message, "instance": str(uuid.uuid4()), **extra}
        return json_error(status, problem, "application/problem+json")

    def rate_limited(self, retry_after):
        return retry_later(self.error(429, "You have exceeded the limit of 10 simultaneous "
                                           "connections."), retry_after)

    def not_found(self):
        return self.error(404, "The requested resource could not be found.")

    def refuse(self):
        auth = request.authorization
        if auth is None or auth.password != SANDBOX_KEY:
            return self.error(401, "Your API key may be invalid, or you've attempted to "
                                   "access the wrong datacenter.")
        return None


def _records(list_id):
    return f"list:{list_id}:records"


def _fields(list_id):
    return f"list:{list_id}:fields"


def _deleted(list_id):
    return f"list:{list_id}:deleted"


def _field(list_id, merge_id, tag, name, kind, options=None):
    return {"merge_id": merge_id, "tag": tag, "name": name, "type": kind, "required": False,
            "default_value": "", "public": False, "display_order": merge_id,
            "options": options if isinstance(options, dict) else {}, "list_id": list_id}


def _default_fields(list_id):
    MAILCHIMP.store(_fields(list_id), {tag: _field(list_id, i + 1, tag, name, kind)
                                       for i, (tag, name, kind) in enumerate(DEFAULT_FIELDS)})


DIALECT = Dialect()
MAILCHIMP = Audiences(DIALECT, lambda: secrets.token_hex(5), _default_fields)
blueprint = MAILCHIMP.blueprint
API = "/3.0/lists/<list_id>"


# --- for tests and the demo ------------------------------------------------

def create_list(name):
    """A new audience's id."""
    return MAILCHIMP.create_list(name)["id"]


def audience(list_id):
    """{email: {status, merge_fields, tags}} of the audience's members."""
    found = MAILCHIMP.records(_records(list_id), MAILCHIMP.on_list(list_id))
    return {m["email_address"]: {"status": m["status"], "merge_fields": m["merge_fields"],
                                 "tags": m["tags"]} for m in found.values()}


def calls(list_id):
    """[(operation, members), ...] of the writes the audience was asked for."""
    return MAILCHIMP.calls(list_id)


# --- the API -----------------------------------------------------------------

def _known(view):
    """The audience's 404 before the view runs."""
    def checked(list_id, **kwargs):
        if MAILCHIMP.get_list(list_id) is None:
            return DIALECT.not_found()
        return view(list_id, **kwargs)
    checked.__name__ = view.__name__
    return checked


def _paged(view):
    """The view called with count and offset from the query (Mailchimp's default count being
    10, its most MAX_COUNT), or a 400 instead."""
    @functools.wraps(view)
    def paged(list_id):
        try:
            count = int(request.args.get("count", 10))
            offset = int(request.args.get("offset", 0))
        except ValueError:
            return _invalid([{"field": "count", "message": "count and offset are whole numbers"}])
        if not 1 <= count <= MAX_COUNT or offset < 0:
            return _invalid([{"field": "count",
                              "message": f"count is 1 to {MAX_COUNT}; offset 0 or more"}])
        return view(list_id, count, offset)
    return paged


@MAILCHIMP.api(API)
@_known
def get_audience(list_id):
    made = MAILCHIMP.get_list(list_id)
    return jsonify(_only({"id": list_id, "name": made["name"], "date_created": iso(made["created"]),
                          "stats": {"member_count": MAILCHIMP.size(list_id)}}))


@MAILCHIMP.api(API, methods=("POST",))
@_known
def batch(list_id):
    asked = json_body() or {}
    items = asked.get("members")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        return _invalid([{"field": "members", "message": "Schema describes array, "
                                                         "of objects"}])
    if len(items) > MAX_BATCH:
        return _invalid([{"field": "members",
                          "message": f"Expected no more than {MAX_BATCH} items"}])
    MAILCHIMP.record_call(list_id, "batch", len(items))
    return jsonify(_batch(list_id, items, asked.get("update_existing") is True))


def _batch(list_id, items, update):
    known = set(MAILCHIMP.all_records(_fields(list_id)))
    keys = [subscriber_hash(str(item.get("email_address") or "")) for item in items]
    current = MAILCHIMP.records(_records(list_id), keys)
    gone = MAILCHIMP.records(_deleted(list_id), keys)
    new, updated, errors, changed = [], [], [], {}
    for item, key in zip(items, keys):
        member, problem = _batched(item, current.get(key), key in gone, known, update)
        if problem:
            errors.append(problem)
            continue
        (updated if key in current else new).append(key)
        current[key] = changed[key] = member
    MAILCHIMP.store(_records(list_id), changed)
    MAILCHIMP.enrol(list_id, new)
    return {"new_members": [_shown(list_id, k, changed[k]) for k in new],
            "updated_members": [_shown(list_id, k, changed[k]) for k in updated],
            "errors": errors, "total_created": len(new), "total_updated": len(updated),
            "error_count": len(errors), "_links": []}


def _batched(item, existing, deleted, known, update):
    """(the member after this item, None) or (None, the item's entry in errors)."""
    email, status, if_new = (item.get(k) for k in ("email_address", "status",
                                                    "status_if_new"))
    if not an_email(email):
        return None, _refused(email, f"{email} looks fake or invalid, please enter a real "
                                     "email address.")
    problem = _merge_problem(item.get("merge_fields"), known)
    if problem:
        return None, _refused(email, MERGE_INVALID, *problem)
    if any(s is not None and s not in STATUSES for s in (status, if_new)):
        return None, _refused(email, "Invalid status: use one of " + ", ".join(sorted(STATUSES)))
    if existing is None:
        if deleted:
            return None, _refused(email, DELETED.format(email))
        if not (if_new or status):
            return None, _refused(email, "A new member needs a status or status_if_new.")
        existing = {"email_address": email, "status": if_new or status, "merge_fields": {},
                    "tags": []}
        status = None
    elif not update:
        return None, _refused(email, f"{email} is already a list member. Use PUT to insert "
                                     "or update list members.", code="ERROR_CONTACT_EXISTS")
    return _changed(existing, status, item.get("merge_fields"), item.get("tags")), None


def _refused(email, message, field="", field_message="", code="ERROR_GENERIC"):
    return {"email_address": email, "error": message, "error_code": code, "field": field,
            "field_message": field_message}


def _merge_problem(values, known):
    """(field, message) of the first merge field the audience would not take, or None."""
    if values is None:
        return None
    if not isinstance(values, dict):
        return "merge_fields", "Schema describes object"
    for tag, value in values.items():
        if tag not in known:
            return tag, f"The merge field {tag} does not exist in this audience."
        if not isinstance(value, (str, int, float, dict)) or len(str(value)) > TEXT_MAX:
            return tag, f"Use text of at most {TEXT_MAX} characters."
    return None


def _changed(member, status, merge_fields, tags):
    tags = [t for t in tags or [] if isinstance(t, str)]
    return {**member, "status": status or member["status"],
            "merge_fields": {**member["merge_fields"], **(merge_fields or {})},
            "tags": list(dict.fromkeys(member["tags"] + tags)),
            "last_changed": iso(state.now())}


def _shown(list_id, key, member):
    return {"id": key, "email_address": member["email_address"],
            "unique_email_id": key[:10], "status": member["status"],
            "merge_fields": member["merge_fields"], "tags_count": len(member["tags"]),
            "tags": [{"id": i + 1, "name": t} for i, t in enumerate(member["tags"])],
            "list_id": list_id, "last_changed": member.get("last_changed")}


@MAILCHIMP.api(API + "/merge-fields")
@_known
@_paged
def merge_fields(list_id, count, offset):
    fields = sorted(MAILCHIMP.all_records(_fields(list_id)).values(),
                    key=lambda field: field["merge_id"])
    return jsonify(_only({"merge_fields": fields[offset:offset + count], "list_id": list_id,
                          "total_items": len(fields)}))


@MAILCHIMP.api(API + "/merge-fields", methods=("POST",))
@_known
def add_merge_field(list_id):
    asked = json_body() or {}
    name, kind = asked.get("name"), asked.get("type")
    tag = asked.get("tag").upper() if isinstance(asked.get("tag"), str) else asked.get("tag")
    errors = [{"field": field, "message": message} for field, message, wrong in (
        ("name", "This value should not be blank.", not isinstance(name, str) or not name.strip()),
        ("type", "Value is not one of the enum list", kind not in MERGE_TYPES),
        ("tag", "Use up to 10 letters, digits or underscores.",
         tag is not None and not (isinstance(tag, str) and TAG.fullmatch(tag)))) if wrong]
    if errors:
        return _invalid(errors)
    existing = MAILCHIMP.all_records(_fields(list_id))
    merge_id = max((f["merge_id"] for f in existing.values()), default=0) + 1
    tag = tag or f"MMERGE{merge_id}"
    if tag in existing:
        return DIALECT.error(400, f'A Merge Field with the tag "{tag}" already exists for '
                                  "this list.")
    field = _field(list_id, merge_id, tag, name.strip(), kind, asked.get("options"))
    MAILCHIMP.store(_fields(list_id), {tag: field})
    return jsonify(field)


@MAILCHIMP.api(API + "/members")
@_known
@_paged
def members(list_id, count, offset):
    keys, total = MAILCHIMP.page(list_id, offset, count)
    found = MAILCHIMP.records(_records(list_id), keys)
    return jsonify(_only({"members": [_shown(list_id, k, found[k]) for k in keys if k in found],
                          "list_id": list_id, "total_items": total}))


def _known_member(view):
    """The audience's or the member's 404 before the view runs, which is called with the
    member's key and record; the path takes the MD5 or, as Mailchimp's does, the email."""
    @_known
    @functools.wraps(view)
    def found(list_id, member_hash):
        key = subscriber_hash(member_hash) if "@" in member_hash else member_hash.lower()
        member = MAILCHIMP.records(_records(list_id), [key]).get(key)
        return DIALECT.not_found() if member is None else view(list_id, key, member)
    return found


@MAILCHIMP.api(API + "/members/<member_hash>", methods=("PATCH",))
@_known_member
def update_member(list_id, key, member):
    asked = json_body() or {}
    status = asked.get("status")
    if status is not None and status not in STATUSES:
        return _invalid([{"field": "status", "message": "Value is not one of the enum list"}])
    problem = _merge_problem(asked.get("merge_fields"),
                             set(MAILCHIMP.all_records(_fields(list_id))))
    if problem:
        return _invalid([{"field": problem[0], "message": problem[1]}], MERGE_INVALID)
    member = _changed(member, status, asked.get("merge_fields"), [])
    MAILCHIMP.store(_records(list_id), {key: member})
    MAILCHIMP.record_call(list_id, "update", 1)
    return jsonify(_shown(list_id, key, member))


@MAILCHIMP.api(API + "/members/<member_hash>/actions/delete-permanent", methods=("POST",))
@_known_member
def delete_permanent(list_id, key, member):
    MAILCHIMP.forget(_records(list_id), [key])
    MAILCHIMP.drop(list_id, [key])
    MAILCHIMP.store(_deleted(list_id), {key: {"at": state.now()}})
    MAILCHIMP.record_call(list_id, "delete-permanent", 1)
    return "", 204


MAILCHIMP.unknown_paths("/3.0")


# --- the API's conventions ---------------------------------------------------

def _invalid(errors, detail=INVALID):
    return DIALECT.error(400, detail, errors=errors)


def _only(answer):
    """The answer narrowed to the request's `fields` ("name", "members.status", ...)."""
    names = [n.strip() for n in request.args.get("fields", "").split(",") if n.strip()]
    if not names:
        return answer
    narrowed = {k: v for k, v in answer.items() if k in names}
    for name in names:
        head, _, rest = name.partition(".")
        if rest and isinstance(answer.get(head), list):
            kept = {n.partition(".")[2] for n in names if n.startswith(head + ".")}
            narrowed[head] = [{k: v for k, v in item.items() if k in kept}
                              for item in answer[head]]
    return narrowed
