"""The data wrapper: what a fan tells an artist before pre-saving, checked offline.

``read(artist, form, country)`` returns (values, consents, errors): cleaned
values (email normalised, phone in E.164), the consent purposes ticked with the
exact wording shown, and a message per field that failed.
"""
from dataclasses import dataclass, field

import phonenumbers

from app import languages, validation
from app.languages import gettext as _
from app.models.artist import DEFAULT_CONSENTS
from app.models.fan import EMAIL_MARKETING, SMS_MARKETING


# every form key the wrapper reads: the contact fields and the consent boxes
WRAPPER_KEYS = ("name", "email", "phone", "consent_email_marketing", "consent_sms_marketing")


@dataclass
class WrapperInput:
    values: dict = field(default_factory=dict)  # name, email, phone (cleaned)
    consents: dict = field(default_factory=dict)  # purpose -> exact wording shown
    errors: dict = field(default_factory=dict)  # field -> message

    @property
    def has_contact(self):
        return bool(self.values.get("email") or self.values.get("phone"))

    @property
    def contactable(self):
        """Can we reach this fan on release day (a contact and its consent)?"""
        return bool((self.values.get("email") and EMAIL_MARKETING in self.consents)
                    or (self.values.get("phone") and SMS_MARKETING in self.consents))


def read(artist, form, country=None):
    result = WrapperInput()
    if not artist.wrapper_enabled:
        return result
    for name, check in (("name", _name), ("email", _email), ("phone", _phone)):
        mode = getattr(artist, f"collect_{name}")
        raw = (form.get(name) or "").strip()
        if mode == "off":
            continue
        if not raw:
            if mode == "required":
                result.errors[name] = _missing(name)
            continue
        try:
            result.values[name] = check(raw, country)
        except ValueError as exc:
            result.errors[name] = str(exc)
    _read_consents(artist, form, result)
    return result


def contact(form, country=None, phone=True):
    """An email (or, where ``phone``, a mobile number) for one message the fan asks for: one of
    them is enough, whatever the artist's wrapper collects."""
    result = WrapperInput()
    for name, check in (("email", _email), ("phone", _phone)):
        raw = (form.get(name) or "").strip()
        if not raw or (name == "phone" and not phone):
            continue
        try:
            result.values[name] = check(raw, country)
        except ValueError as exc:
            result.errors[name] = str(exc)
    if not result.values and not result.errors:
        result.errors["email"] = (_("Leave your email or mobile number so we can tell you")
                                  if phone else _("Leave your email so we can tell you"))
    return result


def _read_consents(artist, form, result):
    ticked = {EMAIL_MARKETING: form.get("consent_email_marketing") == "1",
              SMS_MARKETING: form.get("consent_sms_marketing") == "1"}
    needs = {EMAIL_MARKETING: ("email", consent_wording(artist, EMAIL_MARKETING)),
             SMS_MARKETING: ("phone", consent_wording(artist, SMS_MARKETING))}
    for purpose, (contact, wording) in needs.items():
        if not ticked[purpose]:
            continue
        if not result.values.get(contact):
            result.errors.setdefault(contact, _enter_to_get(contact))
        else:
            result.consents[purpose] = wording


def consent_wording(artist, purpose):
    """The words beside a marketing consent's box, in the page's language: the artist's own
    (their English text, or the text they wrote for this language), else the default wording
    translated. The page shows and the consent row keeps these same words."""
    code = languages.current().code
    if code == languages.ENGLISH:
        return {EMAIL_MARKETING: artist.consent_email_text,
                SMS_MARKETING: artist.consent_sms_text}[purpose]
    own = ((artist.consent_texts or {}).get(code) or {}).get(purpose)
    return own or _(DEFAULT_CONSENTS[purpose])


def _missing(name):
    """A required field left empty, in one message per field."""
    if name == "name":
        return _("Please enter your name")
    return _("Please enter your email") if name == "email" else _("Please enter your phone")


def _enter_to_get(contact):
    """A box ticked for messages without the contact they go to."""
    return (_("Enter your email to get these messages") if contact == "email"
            else _("Enter your phone to get these messages"))


def _name(raw, country):
    if len(raw) > 120:
        raise ValueError(_("Please keep your name under 120 characters"))
    return raw


def _email(raw, country):
    return validation.email_address(raw)


def _phone(raw, country):
    try:
        number = phonenumbers.parse(raw, country or None)
    except phonenumbers.NumberParseException:
        raise ValueError(_phone_not_right()) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(_phone_not_right())
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone_not_right():
    return _("That phone number doesn't look right; include your country code (for example "
             "+44 7911 123456)")
