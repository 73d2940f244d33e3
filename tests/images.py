"""Image files for upload tests: real small images, and headers that need no real pixels."""
import io
import struct
import zlib

from PIL import Image


def image_bytes(size=(800, 800), kind="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 90)).save(buffer, kind)
    return buffer.getvalue()


def png_claiming(width, height):
    """A valid PNG header that claims width×height with almost no data: a decompression bomb
    when large (a few hundred bytes that would decode to gigabytes)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16))
            + chunk(b"IEND", b""))
