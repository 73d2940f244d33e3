"""REST APIs under /api/v1 (FAB ModelRestApi, JWT)."""


def register_apis(appbuilder):
    pass
