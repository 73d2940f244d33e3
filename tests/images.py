"""Image files for upload tests that need no real pixels."""
import struct
import zlib


def png_claiming(width, height):
    """A valid PNG header that claims width×height with almost no data: a decompression bomb
    when large (a few hundred bytes that would decode to gigabytes)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 16))
            + chunk(b"IEND", b""))
