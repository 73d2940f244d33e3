"""The platform descriptor table: every fact about a streaming platform that is not client code.

One Descriptor per platform: its key (in URLs, the API and the database), its name, the
hosts of its web links, its search page, its logo, what the external link resolver calls
it, the shape of its ids, and, for the platforms fans connect, its client class, its
endpoints, the settings that hold the instance's credentials and what a credential must
carry. Models, forms, the fan page, the sandbox and the clients read it; it imports
nothing of app/, so every layer may. Scopes and API dialects live in the client modules
(app/platforms/<key>.py), the sandbox's stand-in in app/sandbox/<key>.py.

The table's order is the order release forms list the platforms in.
"""
import re
import string
from dataclasses import dataclass
from datetime import timedelta

SPOTIFY = "spotify"
APPLE_MUSIC = "apple_music"
YOUTUBE_MUSIC = "youtube_music"
AMAZON_MUSIC = "amazon_music"
TIDAL = "tidal"
DEEZER = "deezer"
SOUNDCLOUD, PANDORA, AUDIOMACK, BANDCAMP = "soundcloud", "pandora", "audiomack", "bandcamp"

DIGITS = string.digits
BASE62 = string.digits + string.ascii_letters
URLSAFE = BASE62 + "-_"
UPPER = string.digits + string.ascii_uppercase


@dataclass(frozen=True)
class Endpoints:
    """Where a platform's accounts service and Web API live (the real hosts, or the sandbox)."""

    authorize: str | None  # where the fan's browser is sent to grant access
    token: str | None  # the token endpoint (code exchange, refresh)
    api: str  # root of the Web API (paths as in PLATFORM_APIS.md, relative to it)
    script: str | None = None  # Apple's MusicKit JS, the only third-party script a page may load
    sandbox: bool = False
    revoke: str | None = None  # RFC 7009 token revocation, where the platform offers it


@dataclass(frozen=True)
class IdShape:
    """How a platform's ids look: a prefix, then ``length`` characters of ``alphabet`` (from
    ``shortest`` to ``length`` where their length varies)."""

    prefix: str
    alphabet: str
    length: int
    shortest: int | None = None

    def matches(self, text):
        rest = text[len(self.prefix):] if text.startswith(self.prefix) else None
        return (rest is not None and (self.shortest or self.length) <= len(rest) <= self.length
                and all(c in self.alphabet for c in rest))


@dataclass(frozen=True)
class Descriptor:
    key: str
    name: str
    hosts: tuple[str, ...]  # a link's host is the platform's when it is one of these or below
    search: str  # the search page: {path} is the text quoted as a path, {query} as a query value
    item_url: str | None = None  # an item's web link: {kind} track|album, {id}, {apple} song|album
    artist_url: str | None = None  # an artist's page there, {id} from the artist's platform ids
    artist_id: IdShape | None = None  # the shape of the {id} in artist_url
    artist_id_help: str | None = None  # how it looks and where staff find it, for the artist form
    item_id: IdShape | None = None
    track_path: re.Pattern | None = None  # the track id inside a track link's path
    album_path: re.Pattern | None = None  # the album id inside an album link's path
    # Its library takes albums: an EP's or album's pre-saves save the album (found by UPC);
    # elsewhere they save the focus track (found by its ISRC, or set by hand).
    saves_albums: bool = False
    icon: str | None = None  # its simple-icons slug; None: a neutral pair of notes
    resolver: tuple[str, str] | None = None  # the link resolver's (platform name, provider)
    # The platforms fans connect; link-only extras leave the rest empty.
    client: str | None = None  # "module:Class" of its client (app.platforms.base.Platform)
    endpoints: Endpoints | None = None
    # Config names of the instance's (client id, secret, extra); () when its client reads its own.
    settings: tuple[str | None, ...] = ()
    required: tuple[str, ...] = ("client_id", "client_secret")  # what a credential needs set
    client_id_help: str | None = None  # on the credentials form, when the id is not an app id
    extra_help: str | None = None  # what its third secret is, when it has one
    user_id: IdShape | None = None  # the shape of an account id
    default: bool = False  # ticked on a new release
    grant_lifetime: timedelta | None = None  # a grant dies this long after it was given
    presave_verb: str = "Pre-Save"
    console: tuple[str, str] | None = None  # (its name, URL): where a label registers its app
    # An app in development mode connects at most this many accounts (allow-listed by hand);
    # quota_setting is the config name of the instance app's quota mode.
    development_users: int | None = None
    quota_setting: str | None = None

    @property
    def connects(self):
        return self.client is not None


AMAZON_STORES = ("com", "co.uk", "de", "fr", "it", "es", "ca", "com.au", "co.jp", "in",
                 "com.br", "com.mx")

TABLE = (
    Descriptor(
        SPOTIFY, "Spotify", icon="spotify", hosts=("open.spotify.com", "spotify.link"),
        search="https://open.spotify.com/search/{path}",
        item_url="https://open.spotify.com/{kind}/{id}",
        artist_url="https://open.spotify.com/artist/{id}",
        artist_id=IdShape("", BASE62, 22),
        artist_id_help=(
            "22 letters and digits, the end of the artist's link "
            "open.spotify.com/artist/<id> (on Spotify: Share → Copy link to artist)"),
        item_id=IdShape("", BASE62, 22),
        track_path=re.compile(r"^/(?:intl-[a-z-]+/)?track/([0-9A-Za-z]{22})$"),
        album_path=re.compile(r"^/(?:intl-[a-z-]+/)?album/([0-9A-Za-z]{22})$"), saves_albums=True,
        resolver=("spotify", "SPOTIFY"), client="app.platforms.spotify:Spotify",
        endpoints=Endpoints("https://accounts.spotify.com/authorize",
                            "https://accounts.spotify.com/api/token", "https://api.spotify.com/v1"),
        settings=("SPOTIFY_CLIENT_ID", "SPOTIFY_CLIENT_SECRET", None),
        user_id=IdShape("", BASE62, 10),  # the immutable account_id
        default=True, grant_lifetime=timedelta(days=180),
        console=("Spotify developer dashboard", "https://developer.spotify.com/dashboard"),
        development_users=5, quota_setting="SPOTIFY_QUOTA_MODE"),
    Descriptor(
        APPLE_MUSIC, "Apple Music", hosts=("music.apple.com",),
        search="https://music.apple.com/search?term={query}",
        item_url="https://music.apple.com/us/{apple}/{id}", item_id=IdShape("1", DIGITS, 9),
        artist_url="https://music.apple.com/us/artist/{id}",
        artist_id=IdShape("", DIGITS, 12, shortest=1),
        artist_id_help=(
            "digits, the end of the artist's link music.apple.com/…/artist/<name>/<id>"),
        track_path=re.compile(r"^/[a-z]{2}/song/(?:[^/]+/)?(\d+)$"), icon="applemusic",
        album_path=re.compile(r"^/[a-z]{2}/album/(?:[^/]+/)?(\d+)$"), saves_albums=True,
        resolver=("appleMusic", "ITUNES"), client="app.platforms.apple_music:AppleMusic",
        endpoints=Endpoints(None, None, "https://api.music.apple.com/v1",
                            script="https://js-cdn.music.apple.com/musickit/v3/musickit.js"),
        required=("client_id", "extra"), client_id_help="TEAMID/KEYID",
        extra_help="the .p8 private key", user_id=IdShape("sandbox-", DIGITS, 12), default=True,
        presave_verb="Pre-Add", console=("Apple Developer account (Keys)",
                                         "https://developer.apple.com/account/resources/authkeys/list")),
    Descriptor(
        YOUTUBE_MUSIC, "YouTube Music", hosts=("music.youtube.com", "youtube.com", "youtu.be"),
        search="https://music.youtube.com/search?q={query}",
        item_url="https://music.youtube.com/watch?v={id}",
        artist_url="https://music.youtube.com/channel/{id}",
        artist_id=IdShape("UC", URLSAFE, 22),
        artist_id_help=(
            "UC and 22 more letters, digits, - or _: the end of the artist's link "
            "music.youtube.com/channel/<id>"),
        item_id=IdShape("", URLSAFE, 11),
        icon="youtubemusic", resolver=("youtubeMusic", "YOUTUBE"),
        client="app.platforms.youtube_music:YouTubeMusic",
        endpoints=Endpoints("https://accounts.google.com/o/oauth2/v2/auth",
                            "https://oauth2.googleapis.com/token",
                            "https://www.googleapis.com/youtube/v3",
                            revoke="https://oauth2.googleapis.com/revoke"),
        settings=("GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "GOOGLE_API_KEY"),
        user_id=IdShape("UC", URLSAFE, 22),
        console=("Google Cloud console", "https://console.cloud.google.com/apis/credentials")),
    Descriptor(
        AMAZON_MUSIC, "Amazon Music",
        hosts=tuple(f"music.amazon.{store}" for store in AMAZON_STORES),
        search="https://music.amazon.com/search/{path}",
        item_url="https://music.amazon.com/{kind}s/{id}",
        artist_url="https://music.amazon.com/artists/{id}",
        artist_id=IdShape("B0", UPPER, 8),
        artist_id_help=(
            "10 capital letters and digits starting with B0, the end of the artist's link "
            "music.amazon.com/artists/<id>"),
        item_id=IdShape("B0", UPPER, 8),
        track_path=re.compile(r"^/tracks/([0-9A-Z]{10})$"), resolver=("amazonMusic", "AMAZON"),
        client="app.platforms.amazon_music:AmazonMusic",
        endpoints=Endpoints("https://www.amazon.com/ap/oa", "https://api.amazon.com/auth/o2/token",
                            "https://api.music.amazon.dev/v1"),
        settings=("AMAZON_CLIENT_ID", "AMAZON_CLIENT_SECRET", "AMAZON_API_KEY"),
        required=("client_id", "client_secret", "extra"), extra_help="the x-api-key",
        user_id=IdShape("amzn1.account.", UPPER, 28),
        console=("Amazon developer console",
                 "https://developer.amazon.com/settings/console/securityprofile/overview.html")),
    Descriptor(
        TIDAL, "TIDAL", icon="tidal", hosts=("tidal.com",),
        search="https://listen.tidal.com/search?q={query}",
        item_url="https://tidal.com/browse/{kind}/{id}",
        artist_url="https://tidal.com/browse/artist/{id}",
        artist_id=IdShape("", DIGITS, 12, shortest=1),
        artist_id_help=(
            "digits, the end of the artist's link tidal.com/browse/artist/<id>"),
        item_id=IdShape("4", DIGITS, 8),
        track_path=re.compile(r"^/(?:browse/)?track/(\d+)$"), resolver=("tidal", "TIDAL"),
        album_path=re.compile(r"^/(?:browse/)?album/(\d+)$"), saves_albums=True,
        client="app.platforms.tidal:Tidal",
        endpoints=Endpoints("https://login.tidal.com/authorize",
                            "https://auth.tidal.com/v1/oauth2/token",
                            "https://openapi.tidal.com/v2"),
        settings=("TIDAL_CLIENT_ID", "TIDAL_CLIENT_SECRET", None),
        user_id=IdShape("1", DIGITS, 8),
        console=("TIDAL developer dashboard", "https://developer.tidal.com/dashboard")),
    Descriptor(
        DEEZER, "Deezer", icon="deezer", hosts=("deezer.com", "deezer.page.link"),
        search="https://www.deezer.com/search/{path}",
        item_url="https://www.deezer.com/{kind}/{id}",
        artist_url="https://www.deezer.com/artist/{id}",
        artist_id=IdShape("", DIGITS, 12, shortest=1),
        artist_id_help=(
            "digits, the end of the artist's link deezer.com/artist/<id>"),
        item_id=IdShape("3", DIGITS, 9),
        track_path=re.compile(r"^/(?:[a-z]{2}/)?track/(\d+)$"), resolver=("deezer", "DEEZER"),
        album_path=re.compile(r"^/(?:[a-z]{2}/)?album/(\d+)$"), saves_albums=True,
        client="app.platforms.deezer:Deezer",
        endpoints=Endpoints("https://connect.deezer.com/oauth/auth.php",
                            "https://connect.deezer.com/oauth/access_token.php",
                            "https://api.deezer.com"),
        settings=("DEEZER_APP_ID", "DEEZER_SECRET", None), client_id_help="the app id",
        user_id=IdShape("5", DIGITS, 9),
        console=("Deezer developer portal", "https://developers.deezer.com/myapps")),
    # Link-only extras: no account, no catalogue search; links come from the resolver or staff.
    Descriptor(
        SOUNDCLOUD, "SoundCloud", icon="soundcloud", hosts=("soundcloud.com",),
        search="https://soundcloud.com/search?q={query}",
        item_url="https://soundcloud.com/sandbox/{id}", item_id=IdShape("", DIGITS, 10),
        resolver=("soundcloud", "SOUNDCLOUD")),
    Descriptor(
        PANDORA, "Pandora", icon="pandora", hosts=("pandora.com",),
        search="https://www.pandora.com/search/{path}/all",
        item_url="https://www.pandora.com/TR:{id}", item_id=IdShape("", UPPER, 14),
        resolver=("pandora", "PANDORA")),
    Descriptor(
        AUDIOMACK, "Audiomack", icon="audiomack", hosts=("audiomack.com",),
        search="https://audiomack.com/search?q={query}",
        item_url="https://audiomack.com/sandbox/song/{id}", item_id=IdShape("", DIGITS, 8),
        resolver=("audiomack", "AUDIOMACK")),
    Descriptor(
        BANDCAMP, "Bandcamp", icon="bandcamp", hosts=("bandcamp.com",),
        search="https://bandcamp.com/search?q={query}"),
)
DESCRIPTORS = {d.key: d for d in TABLE}

# An app's quota mode on a platform with development_users: development (the default: what a
# new app gets) or extended (the platform lifted the limit).
DEVELOPMENT, EXTENDED = "development", "extended"
QUOTA_MODES = (DEVELOPMENT, EXTENDED)

PLATFORM_KEYS = [d.key for d in TABLE if d.connects]  # the platforms fans connect
PLATFORM_CHOICES = [(key, DESCRIPTORS[key].name) for key in PLATFORM_KEYS]
PLATFORM_NAMES = dict(PLATFORM_CHOICES)
DEFAULT_PLATFORMS = [d.key for d in TABLE if d.default]
LINK_ONLY = tuple(d.key for d in TABLE if not d.connects)
LINK_PLATFORMS = (*PLATFORM_KEYS, *LINK_ONLY)  # every platform a release may link to
RESOLVER_EXTRAS = tuple(d.key for d in TABLE if not d.connects and d.resolver)


def descriptor(key) -> Descriptor | None:
    return DESCRIPTORS.get(key)


def name(key):
    """The platform's name; an unknown key is shown as itself."""
    found = DESCRIPTORS.get(key)
    return found.name if found else key


def saved_kind(key, album):
    """What pre-saves save on ``key`` for a release that is (``album``) an EP or album, or
    not: "album" where the platform's library takes albums, else "track"."""
    found = DESCRIPTORS.get(key)
    return "album" if album and found is not None and found.saves_albums else "track"


def user_limit(key, quota_mode):
    """How many accounts an app in ``quota_mode`` may connect on ``key``; None: no limit."""
    found = DESCRIPTORS.get(key)
    if found is None or found.development_users is None or quota_mode == EXTENDED:
        return None
    return found.development_users


def sandbox_endpoints(key, base_url) -> Endpoints:
    """The sandbox's stand-in for ``key``, served under base_url/sandbox/<key>/."""
    root = f"{base_url.rstrip('/')}/sandbox/{key}"
    real = DESCRIPTORS[key].endpoints
    if real.script:  # no OAuth redirect: a script signs the fan in (MusicKit)
        return Endpoints(None, None, f"{root}/api", script=f"{root}/musickit.js", sandbox=True)
    return Endpoints(f"{root}/authorize", f"{root}/token", f"{root}/api", sandbox=True,
                     revoke=f"{root}/revoke" if real.revoke else None)
