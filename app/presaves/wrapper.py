"""The data wrapper: what a fan tells an artist before pre-saving, checked offline.

``read(artist, form, country)`` returns (values, consents, errors): cleaned
values (email normalised, phone in E.164), the consent purposes ticked with the
exact wording shown, and a message per field that failed.
"""
from dataclasses import dataclass, field

import phonenumbers

from app import validation
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
                result.errors[name] = f"Please enter your {name}"
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
        result.errors["email"] = ("Leave your email or mobile number so we can tell you"
                                  if phone else "Leave your email so we can tell you")
    return result


def _read_consents(artist, form, result):
    ticked = {EMAIL_MARKETING: form.get("consent_email_marketing") == "1",
              SMS_MARKETING: form.get("consent_sms_marketing") == "1"}
    needs = {EMAIL_MARKETING: ("email", artist.consent_email_text),
             SMS_MARKETING: ("phone", artist.consent_sms_text)}
    for purpose, (contact, wording) in needs.items():
        if not ticked[purpose]:
            continue
        if not result.values.get(contact):
            result.errors.setdefault(contact, f"Enter your {contact} to get these messages")
        else:
            result.consents[purpose] = wording


def _name(raw, country):
    if len(raw) > 120:
        raise ValueError("Please keep your name under 120 characters")
    return raw


def _email(raw, country):
    return validation.email_address(raw)


def _phone(raw, country):
    try:
        number = phonenumbers.parse(raw, country or None)
    except phonenumbers.NumberParseException:
        raise ValueError("That phone number doesn't look right; include your country code "
                         "(for example +44 7911 123456)") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("That phone number doesn't look right; include your country code "
                         "(for example +44 7911 123456)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
