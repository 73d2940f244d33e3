"""The per-fan delivery ledger as CSV, safe to open in a spreadsheet.

A cell that starts with = + - @ (or a tab or carriage return) would be read as
a formula: it gets a leading apostrophe, which spreadsheets show as text.
"""
import csv
import io

COLUMNS = [("fan_name", "Fan"), ("fan_email", "Email"), ("platform_name", "Platform"),
           ("action", "Action"), ("state_label", "State"), ("attempts", "Attempts"),
           ("reason", "Last error"), ("reason_code", "Error code"),
           ("created_at", "Pre-saved (UTC)"), ("next_attempt_at", "Next attempt (UTC)"),
           ("delivered_at", "Delivered (UTC)"), ("updated_at", "Updated (UTC)")]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value):
    if value is None:
        return ""
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def lines(entries, columns=COLUMNS):
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
