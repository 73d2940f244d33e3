"""Where each platform's accounts service and Web API live: the real hosts, or the sandbox.

The sandbox answers the same paths under /sandbox/<platform>/, so a client only
ever joins paths onto these roots: f"{api}/me/library" is the real
https://api.spotify.com/v1/me/library or the sandbox's
<base>/sandbox/spotify/api/me/library.
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Endpoints:
    authorize: str | None  # where the fan's browser is sent to grant access
    token: str | None  # the token endpoint (code exchange, refresh)
    api: str  # root of the Web API (paths as in PLATFORM_APIS.md, relative to it)
    script: str | None = None  # Apple's MusicKit JS, the only third-party script a page may load
    sandbox: bool = False


REAL = {
    "spotify": Endpoints("https://accounts.spotify.com/authorize",
                         "https://accounts.spotify.com/api/token", "https://api.spotify.com/v1"),
    "tidal": Endpoints("https://login.tidal.com/authorize",
                       "https://auth.tidal.com/v1/oauth2/token", "https://openapi.tidal.com/v2"),
    "deezer": Endpoints("https://connect.deezer.com/oauth/auth.php",
                        "https://connect.deezer.com/oauth/access_token.php",
                        "https://api.deezer.com"),
    "youtube_music": Endpoints("https://accounts.google.com/o/oauth2/v2/auth",
                               "https://oauth2.googleapis.com/token",
                               "https://www.googleapis.com/youtube/v3"),
    "amazon_music": Endpoints("https://www.amazon.com/ap/oa", "https://api.amazon.com/auth/o2/token",
                              "https://api.music.amazon.dev/v1"),
    "apple_music": Endpoints(None, None, "https://api.music.apple.com/v1",
                             script="https://js-cdn.music.apple.com/musickit/v3/musickit.js"),
}


def sandbox(platform, base_url):
    """The sandbox's stand-in for ``platform``, served by this app under base_url."""
    root = f"{base_url.rstrip('/')}/sandbox/{platform}"
    if platform == "apple_music":
        return Endpoints(None, None, f"{root}/api", script=f"{root}/musickit.js", sandbox=True)
    return Endpoints(f"{root}/authorize", f"{root}/token", f"{root}/api", sandbox=True)
