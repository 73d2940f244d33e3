"""Klaviyo's API (revision 2024-10-15), for a label's list: the fans who agreed to its
marketing email.

A private key ("pk_…") goes in the Authorization header as "Klaviyo-API-Key <key>"; every
call names the revision it was written for. KLAVIYO_API_URL overrides the base
(https://a.klaviyo.com/api); with it unset and the sandbox on, the sandbox's stand-in
(app.sandbox.klaviyo) answers.

Klaviyo keeps email marketing consent on the profile, for the whole account, and list
membership beside it: unsubscribing a fan here stops every list of that Klaviyo account
from mailing them, and takes them off this list. Writes are bulk jobs that Klaviyo answers
with 202 and carries out a little later.
"""
from urllib.parse import urlsplit

from flask import current_app

from app.integrations.audiences import Api, segment
from app.integrations.outside import base_url

SETTING, SANDBOX_PATH = "KLAVIYO_API_URL", "/sandbox/klaviyo/api"
REAL_URL = "https://a.klaviyo.com/api"
REVISION = "2024-10-15"
MEDIA_TYPE = "application/vnd.api+json"
MAX_BODY = 5_000_000  # bytes of a request: Klaviyo's cap on a bulk import job
MAX_IMPORT = 10_000  # profiles per bulk import job
PAGE = 100  # profiles per listing page, Klaviyo's limit
# (job type, consent, profiles per job): Klaviyo takes 1,000 subscriptions per call but only
# 100 unsubscriptions.
SUBSCRIBE = ("profile-subscription-bulk-create-job", "SUBSCRIBED", 1000)
UNSUBSCRIBE = ("profile-subscription-bulk-delete-job", "UNSUBSCRIBED", 100)


def check(api_key, list_id):
    """The list's name: proves both the key and the list."""
    with _api(api_key) as api:
        return api.call("GET", f"/lists/{segment(list_id)}/")["data"]["attributes"]["name"]


def upsert(api_key, list_id, members):
    """Import the members' profiles onto the list (properties, at most MAX_IMPORT per job),
    then subscribe them to email marketing through the list; {profiles, import_jobs}.

    Klaviyo sets a property to what it is sent: presave_tags is replaced by the member's
    tags, so pass each fan's whole set. Empty values are left out, which keeps what Klaviyo
    holds (a bulk import cannot clear a field anyway). The subscription lifts an earlier
    unsubscription, so pass only fans whose consent is live (see mailchimp.upsert).
    """
    members = list(members)
    jobs = []
    with _api(api_key) as api:
        for run in api.batches([_profile(m) for m in members], MAX_IMPORT):
            answer = api.call("POST", "/profile-bulk-import-jobs/", body={"data": {
                "type": "profile-bulk-import-job",
                "attributes": {"profiles": {"data": run}},
                "relationships": {"lists": {"data": [{"type": "list", "id": list_id}]}}}})
            jobs.append((answer.get("data") or {}).get("id"))
        _consent(api, SUBSCRIBE, list_id, [m.email for m in members])
    return {"profiles": len(members), "import_jobs": jobs}


def _profile(member):
    properties = {"artist": member.artist, "release": member.release,
                  "platform": member.platform, "source": member.source,
                  "presave_tags": list(member.tags)}
    attributes = {"email": member.email, "first_name": member.first_name,
                  "last_name": member.last_name, "phone_number": member.phone,
                  "location": {"country": member.country} if member.country else None,
                  "properties": {k: v for k, v in properties.items() if v is not None}}
    return {"type": "profile", "attributes": {k: v for k, v in attributes.items()
                                              if v is not None}}


def unsubscribe(api_key, list_id, emails):
    """Withdraw email marketing consent (account-wide, see above) and take the emails off the
    list; how many were sent. An email Klaviyo does not know is recorded as unsubscribed."""
    emails = list(emails)
    with _api(api_key) as api:
        _consent(api, UNSUBSCRIBE, list_id, emails)
    return len(emails)


def _consent(api, job, list_id, emails):
    kind, consent, most = job
    profiles = [{"type": "profile", "attributes": {
        "email": email, "subscriptions": {"email": {"marketing": {"consent": consent}}}}}
        for email in emails]
    for run in api.batches(profiles, most):
        api.call("POST", f"/{kind}s/", body={"data": {
            "type": kind, "attributes": {"profiles": {"data": run}},
            "relationships": {"list": {"data": {"type": "list", "id": list_id}}}}})


def delete_permanently(api_key, email):
    """Ask Klaviyo to erase the profile and everything it holds on it, in every list."""
    with _api(api_key) as api:
        api.call("POST", "/data-privacy-deletion-jobs/", body={"data": {
            "type": "data-privacy-deletion-job",
            "attributes": {"profile": {"data": {"type": "profile",
                                                "attributes": {"email": email}}}}}})


def members(api_key, list_id):
    """(email, subscribed) of every profile on the list with an email, PAGE at a time.
    Klaviyo's next link is followed by its query only, on this client's own base, so the
    key goes nowhere else."""
    path = f"/lists/{segment(list_id)}/profiles/"
    with _api(api_key) as api:
        page = api.call("GET", path, params={"page[size]": PAGE,
                                             "additional-fields[profile]": "subscriptions"})
        while True:
            for row in page.get("data") or []:
                attributes = row.get("attributes") or {}
                if attributes.get("email"):
                    yield attributes["email"], _subscribed(attributes)
            following = (page.get("links") or {}).get("next")
            if not following:
                return
            page = api.call("GET", f"{path}?{urlsplit(following).query}")


def _subscribed(attributes):
    marketing = (((attributes.get("subscriptions") or {}).get("email") or {})
                 .get("marketing") or {})
    return marketing.get("consent") == "SUBSCRIBED"


def _api(api_key):
    api_key = api_key.strip()
    url = base_url(current_app.config, SETTING, SANDBOX_PATH, REAL_URL)
    return Api("Klaviyo", url, _explain, secrets=(api_key,), media_type=MEDIA_TYPE,
               headers={"Authorization": f"Klaviyo-API-Key {api_key}", "revision": REVISION},
               max_body=MAX_BODY)


def _explain(body):
    """Klaviyo's errors list: the first error's code, title and detail, and how many more."""
    errors = [e for e in body.get("errors") or [] if isinstance(e, dict)]
    if not errors:
        return ""
    first = errors[0]
    said = " ".join(dict.fromkeys(str(first[k]) for k in ("title", "detail") if first.get(k)))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{first.get('code') or 'error'}: {said}{more}"
