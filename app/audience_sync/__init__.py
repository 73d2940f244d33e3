"""Keeping a label's email marketing tools (Mailchimp, Klaviyo) in step with its fans' consents:
changes.py writes each fan's change in the transaction of what changed; app.jobs.audience_sync
sends them and reconciles nightly."""
