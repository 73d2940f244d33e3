"""Flask's signed-cookie sessions, opened without building the signer when a request brings
no session cookie: most fan page views, where it was a measurable part of the page."""
from flask.sessions import SecureCookieSessionInterface


class CookieSessions(SecureCookieSessionInterface):
    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)
