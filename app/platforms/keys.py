"""Platform keys used in URLs, the API and the database."""

SPOTIFY = "spotify"
APPLE_MUSIC = "apple_music"
YOUTUBE_MUSIC = "youtube_music"
AMAZON_MUSIC = "amazon_music"
TIDAL = "tidal"
DEEZER = "deezer"

# The order release forms list them in; the first two are ticked by default.
PLATFORM_CHOICES = [
    (SPOTIFY, "Spotify"),
    (APPLE_MUSIC, "Apple Music"),
    (YOUTUBE_MUSIC, "YouTube Music"),
    (AMAZON_MUSIC, "Amazon Music"),
    (TIDAL, "TIDAL"),
    (DEEZER, "Deezer"),
]
PLATFORM_KEYS = [key for key, _ in PLATFORM_CHOICES]
DEFAULT_PLATFORMS = [SPOTIFY, APPLE_MUSIC]
PLATFORM_NAMES = dict(PLATFORM_CHOICES)
