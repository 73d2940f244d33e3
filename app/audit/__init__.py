"""The audit trail: who did what. ``audit.record(action, obj)`` names an action where it
happens; app.audit.trail writes the entries, app.audit.reading reads them."""
from app.audit.trail import record  # noqa: F401
