"""The per-fan delivery ledger as CSV (app.csv_export: formula escaping, a BOM)."""
from app import csv_export

COLUMNS = [("fan_name", "Fan"), ("fan_email", "Email"), ("platform_name", "Platform"),
           ("action", "Action"), ("origin", "Origin"), ("state_label", "State"), ("saved", "Saved"),
           ("attempts", "Attempts"),
           ("reason", "Last error"), ("reason_code", "Error code"),
           ("created_at", "Pre-saved (UTC)"), ("next_attempt_at", "Next attempt (UTC)"),
           ("delivered_at", "Delivered (UTC)"), ("updated_at", "Updated (UTC)")]


def lines(entries):
    return csv_export.lines(entries, COLUMNS)
