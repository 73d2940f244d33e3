"""How long each fan page (/s/...) takes and what it answered, counted by route: WSGI
middleware around the fast lane, so the pages it serves count like the rest. The route is
Flask's endpoint name ("fan.release"), never the artist or release in the path."""
import time

from flask import request

from app import metrics
from app.views.public.blueprint import fan_bp

PREFIX = fan_bp.url_prefix + "/"
UNMATCHED = "none"  # a path under /s/ that no route has (its 404)
ENDPOINT = "presave.fan_page_endpoint"  # in the environ: the route that answered


class FanPageTiming:
    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if not environ.get("PATH_INFO", "").startswith(PREFIX):
            return self.wsgi_app(environ, start_response)
        started, status = time.perf_counter(), ["500"]  # unless the app answers

        def start(line, headers, exc_info=None):
            status[0] = line.split(" ", 1)[0]
            return start_response(line, headers, exc_info)
        try:
            return self.wsgi_app(environ, start)
        finally:
            metrics.fan_page_answered(environ.get(ENDPOINT) or UNMATCHED, status[0],
                                      time.perf_counter() - started)


def install(app):
    """Around the app's WSGI callable as it is now; the route noted by an after-request hook,
    which the fast lane's responses pass through too."""
    app.wsgi_app = FanPageTiming(app.wsgi_app)
    app.after_request(_note_endpoint)


def _note_endpoint(response):
    request.environ[ENDPOINT] = request.endpoint
    return response
