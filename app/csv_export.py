"""CSV text that is safe to open in a spreadsheet.

A cell that starts with = + - @ (or a tab or carriage return) would be read as
a formula: it gets a leading apostrophe, which spreadsheets show as text.
"""
import csv
import io

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def lines(entries, columns):
    """The CSV text, line by line: a header, then one line per entry ([(key, title)] columns)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def flush():
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([title for _, title in columns])
    yield "\ufeff" + flush()  # a BOM, so spreadsheet programs read UTF-8
    for entry in entries:
        writer.writerow([cell(entry[key]) for key, _ in columns])
        yield flush()
