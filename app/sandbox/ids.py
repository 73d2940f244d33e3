"""Made-up identifiers in each platform's own shape (catalogue items and sandbox users)."""
import secrets

from app.platform_table import descriptor


def make(shape):
    return shape.prefix + "".join(secrets.choice(shape.alphabet) for _ in range(shape.length))


def new_item_id(platform):
    return make(descriptor(platform).item_id)


def new_user_id(platform):
    return make(descriptor(platform).user_id)
