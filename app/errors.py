"""Clear 4xx answers: JSON under /api, a short page elsewhere. Never a 500 for bad input."""
from flask import abort, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

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


def refuse_nul_characters():
    if has_nul_character():
        abort(400, NUL_MESSAGE)


def _wants_json():
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _answer(status, message):
    if _wants_json():
        return jsonify(message=message), status
    return render_template("error.html", status=status, message=message), status


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
        limit = app.config["MAX_UPLOAD_BYTES"] // (1024 * 1024)
        return _answer(413, f"The upload is too large: images may be at most {limit} MB")

    @app.errorhandler(404)
    def not_found(exc):
        return _answer(404, "Not found")

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return _answer(exc.code or 400, exc.description or exc.name)
