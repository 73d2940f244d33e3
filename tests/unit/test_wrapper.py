"""The data wrapper's rules: modes per field, offline email/phone checks, consent needs a contact."""
from types import SimpleNamespace

import pytest

from app.models.fan import EMAIL_MARKETING, SMS_MARKETING
from app.presaves.wrapper import read


def artist(**settings):
    base = dict(wrapper_enabled=True, collect_name="optional", collect_email="optional",
                collect_phone="optional", consent_email_text="Email me", consent_sms_text="Text me")
    return SimpleNamespace(**{**base, **settings})


def test_clean_values_and_consents_with_their_wording():
    got = read(artist(), {"name": " Ada ", "email": "Ada@Example.COM", "phone": "07911 123456",
                          "consent_email_marketing": "1", "consent_sms_marketing": "1"}, "GB")
    assert got.errors == {}
    assert got.values == {"name": "Ada", "email": "Ada@example.com", "phone": "+447911123456"}
    assert got.consents == {EMAIL_MARKETING: "Email me", SMS_MARKETING: "Text me"}
    assert got.contactable


@pytest.mark.parametrize("form, field, message", [
    ({"email": "not-an-email"}, "email", "doesn't look right"),
    ({"phone": "12"}, "phone", "include your country code"),
    ({"consent_email_marketing": "1"}, "email", "Enter your email"),
    ({"consent_sms_marketing": "1"}, "phone", "Enter your phone"),
])
def test_bad_input_is_reported_per_field(form, field, message):
    got = read(artist(), form, "GB")
    assert message in got.errors[field]
    assert not got.consents


def test_required_fields_and_off_fields():
    strict = artist(collect_name="required", collect_email="required", collect_phone="off")
    got = read(strict, {"phone": "+447911123456"}, None)
    assert set(got.errors) == {"name", "email"}
    assert "phone" not in got.values


def test_unticked_consent_is_no_consent_and_a_disabled_wrapper_asks_nothing():
    assert not read(artist(), {"email": "a@b.co"}, None).contactable
    assert read(artist(wrapper_enabled=False), {"email": "bad"}, None).errors == {}


def test_the_visitor_country_is_the_default_phone_region():
    assert read(artist(), {"phone": "030 901820"}, "DE").values["phone"] == "+4930901820"
