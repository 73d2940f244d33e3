"""Artwork and artist images: checked by content, stored by content hash."""
import hashlib
import io
import warnings
from pathlib import Path

from flask import current_app
from PIL import Image, UnidentifiedImageError

ALLOWED = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
MIME_BY_EXT = {ext: mime for ext, mime in ALLOWED.values()}
# Far above any artwork a platform asks for (Spotify: 3000×3000), far below what a small
# file can claim: a 30000×30000 PNG of under 1 MB would take gigabytes to decode.
MAX_SIDE = 8000


def read_image(data, min_pixels=None, max_bytes=None):
    """Validate image bytes; return (extension, width, height) or raise ValueError."""
    max_bytes = max_bytes or current_app.config["MAX_UPLOAD_BYTES"]
    min_pixels = current_app.config["MIN_ARTWORK_PIXELS"] if min_pixels is None else min_pixels
    if not data:
        raise ValueError("The file is empty")
    if len(data) > max_bytes:
        raise ValueError(f"The image is larger than {max_bytes // (1024 * 1024)} MB")
    too_many = f"The image has too many pixels: it may be at most {MAX_SIDE}×{MAX_SIDE}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                kind = image.format
                width, height = image.size
                if max(width, height) > MAX_SIDE:
                    raise ValueError(f"{too_many}; this one is {width}×{height}")
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValueError(too_many) from exc
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError("The file is not a JPEG, PNG or WebP image") from exc
    if kind not in ALLOWED:
        raise ValueError(f"{kind} images are not accepted: use JPEG, PNG or WebP")
    if width < min_pixels or height < min_pixels:
        raise ValueError(f"The image is {width}×{height}; it must be at least "
                         f"{min_pixels}×{min_pixels} pixels")
    return ALLOWED[kind][0], width, height


def store_image(data, min_pixels=None):
    """Validate and store; returns the stored file name (content hash + extension)."""
    ext, _, _ = read_image(data, min_pixels=min_pixels)
    name = f"{hashlib.sha256(data).hexdigest()[:40]}.{ext}"
    folder = Path(current_app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if not path.exists():
        path.write_bytes(data)
    return name


def read_upload(file_storage):
    """Bytes of an uploaded file, reading at most one byte past the limit."""
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    return file_storage.read(limit + 1)
