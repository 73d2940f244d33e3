"""Secrets at rest: AES-256-GCM with a keyring and row-bound associated data.

A sealed value reads ``v1.<key id>.<base64(nonce | ciphertext | tag)>``. The
associated data names the row it belongs to (kind, label, owner, platform,
field), so a ciphertext copied onto another row does not open.
"""
import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1"


class KeyringError(ValueError):
    """The keyring setting is malformed."""


class DecryptError(ValueError):
    """A sealed value cannot be opened with this keyring and context."""


NONCE_BYTES, TAG_BYTES = 12, 16


def _b64decode(text):
    """URL-safe base64, padding optional; anything else is a ValueError (binascii.Error)."""
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


class Keyring:
    def __init__(self, spec):
        self.keys = {}
        self.current = None
        for entry in (part.strip() for part in str(spec).split(",")):
            if not entry:
                continue
            key_id, sep, material = entry.partition(":")
            if not sep or not key_id.isalnum():
                raise KeyringError("TOKEN_KEYS entries look like 'id:base64key'")
            if key_id in self.keys:
                raise KeyringError(f"TOKEN_KEYS names key {key_id!r} twice")
            try:
                key = _b64decode(material.strip())
            except ValueError:
                raise KeyringError(f"TOKEN_KEYS key {key_id!r} is not base64") from None
            if len(key) != 32:
                raise KeyringError(f"TOKEN_KEYS key {key_id!r} is not 32 bytes (AES-256)")
            self.keys[key_id] = AESGCM(key)
            self.current = self.current or key_id
        if not self.current:
            raise KeyringError("TOKEN_KEYS holds no key")

    def seal(self, plaintext, context):
        if plaintext is None:
            return None
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.keys[self.current].encrypt(nonce, plaintext.encode(), _aad(context))
        body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
        return f"{VERSION}.{self.current}.{body}"

    def open(self, token, context):
        if token is None:
            return None
        try:
            version, key_id, body = token.split(".", 2)
            raw = _b64decode(body)
            aead = self.keys[key_id]
        except (ValueError, KeyError) as exc:
            raise DecryptError("sealed value is malformed or its key is gone") from exc
        if version != VERSION:
            raise DecryptError(f"unknown sealed value version {version!r}")
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise DecryptError("sealed value is truncated")
        try:
            return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(context)).decode()
        except InvalidTag as exc:
            raise DecryptError("sealed value does not belong to this row") from exc

    def needs_rotation(self, token):
        """True for a value sealed with an older key (or unreadable: re-seal it)."""
        if token is None:
            return False
        parts = token.split(".", 2)
        return len(parts) < 3 or parts[0] != VERSION or parts[1] != self.current


def _aad(context):
    return "|".join(str(part) for part in context).encode()


def keyring():
    from flask import current_app

    ring = current_app.extensions.get("presave_keyring")
    if ring is None:
        ring = current_app.extensions["presave_keyring"] = Keyring(current_app.config["TOKEN_KEYS"])
    return ring
