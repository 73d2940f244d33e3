"""Input rules shared by forms, API and CLI (app.validation)."""
import pytest

from app import validation
from app.platform_table import PLATFORM_KEYS


def rejects(rule, value, match=None):
    with pytest.raises(ValueError, match=match):
        rule(value)
    return True


@pytest.mark.parametrize("value", ["US-RC1-26-00001", "usrc12600001", "us-rc1-26-00001",
                                   " US RC1 26 00001 ", "UsRc1-2600001"])
def test_isrc_is_normalised_to_twelve_upper_case_characters(value):
    assert validation.isrc(value) == "USRC12600001"


def test_isrc_accepts_a_digit_registrant_and_blank_values():
    assert validation.isrc("GB-A1B-99-12345") == "GBA1B9912345"
    assert validation.isrc("") is None and validation.isrc(None) is None


@pytest.mark.parametrize("value", [
    "US-RC1-26-0001",     # 4-digit designation
    "US-RC1-26-000012",   # 6-digit designation
    "U1-RC1-26-00001",    # country code with a digit
    "US-RC!-26-00001",    # punctuation in the registrant
    "US-RC1-2A-00001",    # letter in the year
    "US-RC1-26-0000A",    # letter in the designation
    "USRC1260000",        # 11 characters
    "US_RC1_26_00001",    # underscores are not forgiven
    "US-RC1-26-0000\u0661",  # an Arabic-Indic digit
    "US-RC1-26-0000\uff11",  # a full-width digit
])
def test_bad_isrcs_are_rejected_with_the_expected_shape(value):
    assert rejects(validation.isrc, value, match="CC-XXX-YY-NNNNN")


@pytest.mark.parametrize("value, expected", [
    ("036000291452", "036000291452"),      # UPC-A
    ("0-36000-29145-2", "036000291452"),   # with dashes
    ("4006381333931", "4006381333931"),    # EAN-13
    ("400 6381 33393 1", "4006381333931"),
    ("0000000000000", "0000000000000"),
    (None, None), ("", None),
])
def test_valid_upc_and_ean(value, expected):
    assert validation.upc(value) == expected


@pytest.mark.parametrize("value", ["036000291453", "036000291450", "4006381333932",
                                   "4006381333930"])
def test_upc_and_ean_with_a_wrong_check_digit(value):
    assert rejects(validation.upc, value, match="check digit")


@pytest.mark.parametrize("value", ["03600029145", "40063813339312", "03600029145A", "12345",
                                   "abcdefghijkl", "03600029145\u0662", "03600029145\u00b2"])
def test_upc_of_the_wrong_length_or_with_letters(value):
    assert rejects(validation.upc, value, match="12 or 13 digits")


def test_platforms_are_checked_deduplicated_and_ordered():
    assert validation.platforms(["deezer", "spotify", "spotify", ""]) == ["spotify", "deezer"]
    assert validation.platforms(list(reversed(PLATFORM_KEYS))) == PLATFORM_KEYS


@pytest.mark.parametrize("values", [[], None, [""], ["", None]])
def test_at_least_one_platform(values):
    assert rejects(validation.platforms, values, match="at least one")


def test_unknown_platforms_are_named():
    with pytest.raises(ValueError, match="napster") as error:
        validation.platforms(["spotify", "napster"])
    assert "spotify" in str(error.value)  # lists the choices


@pytest.mark.parametrize("value, expected", [("midnight-city", "midnight-city"),
                                             ("Midnight-City", "midnight-city"),
                                             ("  a1-b2  ", "a1-b2"), ("x" * 80, "x" * 80)])
def test_slug(value, expected):
    assert validation.slug(value) == expected


@pytest.mark.parametrize("value", ["", None, "a--b", "-a", "a-", "a_b", "a b", "ä", "a/b",
                                   "x" * 81])
def test_bad_slugs(value):
    assert rejects(validation.slug, value, match="lower-case")


def test_slugify_makes_valid_slugs():
    for text in ["Midnight City!", "  Ça va? ", "---", "x" * 200]:
        assert validation.slug(validation.slugify(text))
    assert validation.slugify("Midnight City!") == "midnight-city"
    assert validation.slugify("???") == "release"


@pytest.mark.parametrize("value, expected", [("#A1B2C3", "#a1b2c3"), ("#000000", "#000000")])
def test_colour(value, expected):
    assert validation.color(value) == expected


@pytest.mark.parametrize("value", ["A1B2C3", "#abc", "#GGGGGG", "#a1b2c3d", "", None,
                                   "red", "#a1b2c3 ", "#a1b2c3\n"])
def test_bad_colours(value):
    assert rejects(validation.color, value, match="#RRGGBB")


def test_timezone_and_field_mode():
    assert validation.timezone_name("Europe/Berlin") == "Europe/Berlin"
    assert rejects(validation.timezone_name, "Mars/Olympus", match="IANA")
    assert validation.field_mode("required") == "required"
    assert rejects(validation.field_mode, "sometimes", match="off, optional or required")
