from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory

from app.uploads import MIME_BY_EXT

media_bp = Blueprint("media", __name__)


@media_bp.route("/media/<name>")
def file(name):
    stem, _, ext = name.partition(".")
    if not stem.isalnum() or ext not in MIME_BY_EXT:
        abort(404)
    folder = Path(current_app.config["UPLOAD_DIR"])
    response = send_from_directory(folder, name, mimetype=MIME_BY_EXT[ext], max_age=31536000)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@media_bp.route("/favicon.ico")
def favicon():
    """Browsers ask every site for it; fan pages name the artist's own image instead."""
    response = send_from_directory(current_app.static_folder, "favicon.svg",
                                   mimetype="image/svg+xml", max_age=86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
