"""All models, imported here so Alembic and the app see one metadata."""
from sqlalchemy import func, select
from sqlalchemy.orm import column_property

from app.models.base import ArtistOwned, LabelOwned, Model  # noqa: F401
from app.models.label import Label, PlatformCredential  # noqa: F401
from app.models.user import AccountToken, PresaveUser  # noqa: F401
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
from app.models.message import (Automation, AutomationDay, Message,  # noqa: F401
                                MessageRecipient, Suppression)
from app.models.ab_test import AbTest, AbVariant  # noqa: F401
from app.models.short_link import ShortLink  # noqa: F401
from app.models.ad_pixels import AdPixels, ConversionEvent, CookieChoice  # noqa: F401
from app.models.audience import AudienceChange, AudienceConnection  # noqa: F401
from app.models.webhook import WebhookAttempt, WebhookDelivery, WebhookEndpoint  # noqa: F401
from app.models.audit import AuditEntry  # noqa: F401
from app.models.retention import RetentionPolicy  # noqa: F401
from app.models.domain import CustomDomain  # noqa: F401


def _count_of(model):
    """How many rows of ``model`` an artist has, read only when asked (the roster list)."""
    return column_property(select(func.count(model.id)).where(model.artist_id == Artist.id)
                           .correlate_except(model).scalar_subquery(), deferred=True)


Artist.release_count = _count_of(Release)
Artist.fan_count = _count_of(Fan)
Artist.presave_count = _count_of(PreSave)
