"""Static assets under content-hashed names, kept by browsers for a year, compressed once.

`url_for("static", filename="analytics.js")` gives `/static/analytics.<digest>.js`, and so
do FAB's `appbuilder.static` and AnalyticsView.plotly_js: the digest is taken from the
file's bytes, so the name changes whenever the file does and a browser may keep it for a
year without asking again (`immutable`). The plain name still answers, revalidated each
time (FAB's stylesheets name their fonts that way); a digest that is no longer the file's
gets the current file the same way, so a page rendered before a deploy still works.

Flask-Compress compresses every text response, brotli first, else gzip. Its cache
(COMPRESS_CACHE_BACKEND) holds assets under their hashed names only, whose bytes never
change; every other response is compressed afresh. `flask --app run assets compress`
(part of `init`) writes the large ones at brotli's and gzip's best levels into the
instance folder, read before anything this process compressed: plotly.js at brotli's
best takes seconds, which no visitor should wait for.
"""
import gzip
import hashlib
import mimetypes
import os
from functools import lru_cache
from pathlib import Path

import brotli
import click
import plotly
from flask import current_app, g, send_file
from flask.cli import AppGroup
from werkzeug.exceptions import NotFound
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
DIGEST_CHARS = 16
# Smaller files take Flask-Compress milliseconds and lose little at its level; at the best
# levels plotly.js shrinks by a further fifth, after seconds of work.
PRECOMPRESS_MIN_BYTES = 256 * 1024
BEST = {"br": lambda data: brotli.compress(data, quality=11),
        "gzip": lambda data: gzip.compress(data, 9)}
COMPRESS_SETTINGS = {"COMPRESS_ALGORITHM": list(BEST), "COMPRESS_ALGORITHM_STREAMING": list(BEST),
                     "COMPRESS_CACHE_KEY": lambda _request: g.get("asset_digest", ""),
                     "COMPRESS_CACHE_BACKEND": lambda: CompressedAssets()}
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# Endpoints that serve one file, named with a `digest` URL argument.
SINGLE_FILES = {"AnalyticsView.plotly_js": PLOTLY_JS}

assets_cli = AppGroup("assets", help="Static assets.")


def install(app):
    """Hashed names for every asset endpoint; call once FAB's blueprint is registered."""
    for endpoint in _folders(app):
        app.view_functions[endpoint] = _folder_view(endpoint)
    app.url_defaults(_hashed_names)
    app.cli.add_command(assets_cli)


def send(path, digest=None):
    """``path``: under a name carrying its current digest, for a year; else revalidated."""
    path = Path(path)
    if not path.is_file():
        raise NotFound()
    if digest != file_digest(path):
        return send_file(path, conditional=True)
    response = send_file(path, conditional=True, max_age=31536000)
    response.headers["Cache-Control"] = IMMUTABLE
    # Read whole, so Flask-Compress keeps its compressed form (it never keeps a stream's).
    response.direct_passthrough = False
    response.make_sequence()
    g.asset_digest = digest
    return response


def file_digest(path):
    stat = os.stat(path)
    return _digest(str(path), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=1024)
def _digest(path, _mtime, _size):
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()[:DIGEST_CHARS]


def hashed_name(folder, filename):
    """'css/site.css' -> 'css/site.<digest>.css'; a name that is not a file stays as it is."""
    path = safe_join(folder, filename)
    if path is None or not os.path.isfile(path):
        return filename
    stem, dot, ext = filename.rpartition(".")
    if not dot or "/" in ext:
        return f"{filename}.{file_digest(path)}"
    return f"{stem}.{file_digest(path)}.{ext}"


def plain_name(filename):
    """('css/site.css', digest) from 'css/site.<digest>.css'; (filename, None) otherwise."""
    head, _, tail = filename.rpartition("/")
    parts = tail.split(".")
    for index, part in enumerate(parts[1:], start=1):
        if len(part) == DIGEST_CHARS and all(c in "0123456789abcdef" for c in part) and (
                index == len(parts) - 1 or index == len(parts) - 2):
            plain = ".".join(parts[:index] + parts[index + 1:])
            return (f"{head}/{plain}" if head else plain), part
    return filename, None


class CompressedAssets:
    """Flask-Compress's cache, for hashed assets only; keys are '<algorithm>;<digest>'."""

    def __init__(self):
        self._kept = {}

    def get(self, key):
        if not g.get("asset_digest"):
            return None
        stored = _stored(key)
        return stored.read_bytes() if stored.is_file() else self._kept.get(key)

    def set(self, key, value):
        if g.get("asset_digest") and not _stored(key).is_file():
            self._kept[key] = value


def _stored(key):
    algorithm, _, digest = key.partition(";")
    return Path(current_app.instance_path) / "compressed" / f"{digest}.{algorithm}"


@assets_cli.command("compress")
def compress_command():
    """Compress the large static assets at the best brotli and gzip levels, once per content."""
    click.echo(f"Compressed {precompress()} new file(s).")


def precompress():
    """What Flask-Compress's cache reads first: each large asset at BEST (what is there stays)."""
    done = 0
    for path in _every_asset(current_app):
        digest = file_digest(path)
        for algorithm, compress in BEST.items():
            target = _stored(f"{algorithm};{digest}")
            if target.is_file():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(f".{os.getpid()}.partial")
            partial.write_bytes(compress(path.read_bytes()))
            os.replace(partial, target)  # a process reading meanwhile sees all or nothing
            done += 1
    return done


def _every_asset(app):
    kinds = set(app.config["COMPRESS_MIMETYPES"])
    files = [*SINGLE_FILES.values()]
    for folder in _folders(app).values():
        files += sorted(p for p in Path(folder).rglob("*") if p.is_file())
    return [p for p in files if mimetypes.guess_type(p.name)[0] in kinds
            and p.stat().st_size >= PRECOMPRESS_MIN_BYTES]


def _folders(app):
    return {"static": app.static_folder,
            "appbuilder.static": app.blueprints["appbuilder"].static_folder}


def _folder_view(endpoint):
    def view(filename):
        folder = _folders(current_app)[endpoint]
        plain, digest = plain_name(filename)
        if digest and not os.path.isfile(safe_join(folder, plain) or ""):
            plain, digest = filename, None  # a file whose own name looks hashed
        path = safe_join(folder, plain)
        if path is None:
            raise NotFound()
        return send(path, digest)
    return view


def _hashed_names(endpoint, values):
    if endpoint in SINGLE_FILES:
        values.setdefault("digest", file_digest(SINGLE_FILES[endpoint]))
    elif endpoint in ("static", "appbuilder.static") and "filename" in values:
        values["filename"] = hashed_name(_folders(current_app)[endpoint], values["filename"])
