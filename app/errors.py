"""Clear 4xx answers: JSON under /api, a short page elsewhere. Never a 500 for bad input.

Every request passes refuse_unreadable_input() before any view: no NUL anywhere, a q= that
FAB's Rison parser can read, and a JSON body of bounded size and depth whose strings are
all valid Unicode (a lone surrogate cannot be encoded, so it could not be stored).
"""
import json
import re

import prison
from flask import abort, current_app, jsonify, render_template, request
from flask_login import current_user
from werkzeug.exceptions import Forbidden, HTTPException, RequestEntityTooLarge

from app.languages import gettext as _
from app.crypto import DecryptError
from app.extensions import db
from app.tenants.context import TenantScopeError


NUL_MESSAGE = "The request contains a NUL character, which no field may hold."


def has_nul_character():
    """Does any text of this request hold a NUL? PostgreSQL can neither store nor compare one."""
    texts = [request.path, *request.args.values(), *request.form.values()]
    if any("\x00" in text for text in texts):
        return True
    return request.is_json and b"\\u0000" in request.get_data(cache=True)


MAX_JSON_BYTES = 256 * 1024
MAX_JSON_DEPTH = 32
MAX_QUERY_CHARACTERS = 4000
STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
BRACKET = re.compile(rb"[\[\]{}]")
SURROGATE = re.compile("[\ud800-\udfff]")


def refuse_unreadable_input():
    if has_nul_character():
        abort(400, NUL_MESSAGE)
    _refuse_unreadable_query(request.args.get("q"))
    if request.is_json:
        _refuse_unreadable_json()


def _refuse_unreadable_query(value):
    """FAB's @rison catches only the parser's own error; "1e" raises a ValueError (a float
    that is not one) and deep nesting a RecursionError. Refuse those as FAB refuses the rest."""
    if not value or not request.path.startswith("/api/"):
        return
    if len(value) > MAX_QUERY_CHARACTERS:
        abort(400, f"The q= argument is longer than {MAX_QUERY_CHARACTERS} characters")
    try:
        prison.loads(value)
        return
    except prison.decoder.ParserException:
        pass  # FAB tries it as JSON next
    except Exception:  # noqa: BLE001  (whatever the parser trips on is the caller's input)
        abort(400, "Not a valid rison/json argument")
    if _nesting(value.encode()) > MAX_JSON_DEPTH:
        abort(400, "Not a valid rison/json argument")


def _refuse_unreadable_json():
    body = request.get_data(cache=True)
    if len(body) > MAX_JSON_BYTES:
        abort(413, f"The JSON body is larger than {MAX_JSON_BYTES // 1024} KB")
    if _nesting(body) > MAX_JSON_DEPTH:
        abort(400, f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels")
    try:
        parsed = json.loads(body)
    except ValueError:
        return  # not JSON at all: the view says what it wanted
    if _has_surrogate(parsed):
        abort(400, "The JSON body holds text that is not valid Unicode (a lone surrogate)")


def _nesting(data):
    """How deep the brackets of a JSON text nest, strings left out."""
    depth = deepest = 0
    for bracket in BRACKET.findall(STRING.sub(b"", data)):
        depth += 1 if bracket in b"[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _has_surrogate(value):
    if isinstance(value, str):
        return SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(item) for item in value)
    return False


def _wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def title_of(status):
    """An error page's title, in the fan's language on a fan page (English elsewhere)."""
    titles = {400: _("That request can't be read"), 403: _("You can't open this page"),
              404: _("This page doesn't exist"), 409: _("That clashes with what is stored"),
              413: _("That is too large"), 422: _("That can't be used"),
              429: _("Too many tries")}
    return titles.get(status) or _("Something is not right")


def _answer(status, message):
    if _wants_json():
        return jsonify(message=message), status
    title = title_of(status)
    if current_user.is_authenticated and not request.path.startswith("/s/"):
        # Signed in: the admin's own frame, its menus and a way home.
        if status == 403 and message == Forbidden.description:
            roles = ", ".join(role.name for role in current_user.roles) or "no role"
            message = (f"Your role ({roles}) does not include this page. If you need it, ask "
                       "your label admin.")
        appbuilder = current_app.appbuilder
        return render_template("admin_error.html", appbuilder=appbuilder,
                               base_template=appbuilder.base_template,
                               status=status, title=title, message=message), status
    return render_template("error.html", status=status, title=title, message=message), status


def register(app):
    @app.errorhandler(TenantScopeError)
    def tenant_scope(exc):
        db.session.rollback()
        return _answer(403, str(exc) or "Not allowed for your label")

    @app.errorhandler(DecryptError)
    def undecryptable(exc):
        db.session.rollback()
        return _answer(409, "A stored secret could not be opened; re-enter it")

    @app.errorhandler(413)
    def too_large(exc):
        if exc.description != RequestEntityTooLarge.description:  # a limit of ours said why
            return _answer(413, exc.description)
        limit = app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024)
        return _answer(413, f"The upload is too large: images may be at most {limit} MB")

    @app.errorhandler(404)
    def not_found(exc):
        return _answer(404, _("Not found"))

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return _answer(exc.code or 400, exc.description or exc.name)
