"""Clients for the outside services a label connects besides the streaming platforms: the
ad platforms' conversion APIs and the email marketing tools. Each takes its credentials as
arguments and answers in plain values; what is sent when, and with whose consent, is decided
above (app.jobs)."""
