"""All models, imported here so Alembic and the app see one metadata."""
from app.models.base import ArtistOwned, LabelOwned, Model  # noqa: F401
from app.models.label import Label, PlatformCredential  # noqa: F401
from app.models.user import PresaveUser  # noqa: F401
from app.models.artist import Artist  # noqa: F401
from app.models.release import Release, ReleaseStatusChange, StreamingLink  # noqa: F401
from app.models.fan import Consent, Fan  # noqa: F401
from app.models.authorization import Authorization  # noqa: F401
from app.models.presave import PreSave  # noqa: F401
from app.models.event import Event  # noqa: F401
from app.models.event_rollup import (EventDaily, EventDailyPlace, EventDailyPlatform,  # noqa: F401
                                    EventDailySource, EventTotalPlace,
                                    EventTotalPlatformCountry, EventTotalSource)
from app.models.fan_source import FanSource  # noqa: F401
from app.models.opening_notice import OpeningNotice  # noqa: F401
