"""Webhooks: a label's endpoints get its events, signed the Standard Webhooks way
(``webhook-id``, ``webhook-timestamp``, ``webhook-signature``: HMAC-SHA256 over
id.timestamp.body). events.py turns what happened into delivery rows in the caller's
transaction; addresses.py says where a request may go; sending.py makes one attempt. The
retries, the log and the disabling are app.jobs.webhooks'."""
