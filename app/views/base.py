"""What every Presave admin view shares."""
from flask import g, request
from flask_appbuilder import ModelView


class PresaveModelView(ModelView):
    """A ModelView whose rejected forms answer 422 instead of a silent 200."""

    def _add(self):
        widgets = super()._add()
        if request.method == "POST" and widgets is not None:
            g.form_rejected = True
        return widgets

    def _edit(self, pk):
        widgets = super()._edit(pk)
        if request.method == "POST" and widgets is not None:
            g.form_rejected = True
        return widgets


def mark_rejected_forms(response):
    if g.get("form_rejected") and response.status_code == 200:
        response.status_code = 422
    return response
