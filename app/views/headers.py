"""Security headers for the admin's pages (the fan pages set their own, with nonces).

FAB's templates carry inline scripts and styles, so the policy cannot go without
'unsafe-inline'; what it does forbid is every other origin (the admin loads nothing from
elsewhere: Plotly, its map data and FAB's assets are served by this app), plugins, framing,
a changed base URL and forms posting elsewhere.
"""
from flask import request

POLICY = "; ".join([
    "default-src 'self'", "script-src 'self' 'unsafe-inline'", "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:", "font-src 'self' data:", "connect-src 'self'",
    "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'"])
OWN_POLICIES = ("/s/", "/sandbox/")  # the fan pages' nonces; the stand-ins of other sites


def admin_headers(response):
    if request.path.startswith(OWN_POLICIES) or "Content-Security-Policy" in response.headers:
        return response
    response.headers["Content-Security-Policy"] = POLICY
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response
