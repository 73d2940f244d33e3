"""Made-up identifiers in each platform's own shape (catalogue items and sandbox users)."""
import secrets
import string

DIGITS = string.digits
BASE62 = string.digits + string.ascii_letters
URLSAFE = BASE62 + "-_"
UPPER = string.digits + string.ascii_uppercase

# platform -> (prefix, alphabet, length)
ITEM_FORMATS = {
    "spotify": ("", BASE62, 22),
    "apple_music": ("1", DIGITS, 9),
    "deezer": ("3", DIGITS, 9),
    "tidal": ("4", DIGITS, 8),
    "youtube_music": ("", URLSAFE, 11),
    "amazon_music": ("B0", UPPER, 8),
    # link-only extras (reached through the external resolver's stand-in)
    "soundcloud": ("", DIGITS, 10),
    "pandora": ("", UPPER, 14),
    "audiomack": ("", DIGITS, 8),
}
USER_FORMATS = {
    "spotify": ("", BASE62, 10),  # the immutable account_id
    "apple_music": ("sandbox-", DIGITS, 12),
    "deezer": ("5", DIGITS, 9),
    "tidal": ("1", DIGITS, 8),
    "youtube_music": ("UC", URLSAFE, 22),
    "amazon_music": ("amzn1.account.", UPPER, 28),
}


def make(fmt):
    prefix, alphabet, length = fmt
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def new_item_id(platform):
    return make(ITEM_FORMATS[platform])


def new_user_id(platform):
    return make(USER_FORMATS[platform])
