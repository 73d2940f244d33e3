"""REST APIs under /api/v1 (FAB ModelRestApi, JWT)."""
from app.api.analytics import ReleaseAnalyticsApi
from app.api.artists import ArtistApi
from app.api.fans import FanApi
from app.api.presaves import PreSaveApi
from app.api.releases import ReleaseApi


def register_apis(appbuilder):
    appbuilder.add_api(ArtistApi)
    appbuilder.add_api(ReleaseApi)
    appbuilder.add_api(FanApi)
    appbuilder.add_api(PreSaveApi)
    appbuilder.add_api(ReleaseAnalyticsApi)
