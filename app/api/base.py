"""What every Presave REST API shares: strict JSON input, per-field errors, safe commits."""
from contextlib import contextmanager

from flask import request
from flask_appbuilder.api import ModelRestApi
from flask_appbuilder.models.sqla.interface import SQLAInterface
from marshmallow import ValidationError, fields, validate
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from app.api.described import DescribedTruly
from app.extensions import db
from app.releases.rules import SlugTaken, TransitionError
from app.tenants.context import TenantScopeError, current_scope
from app.validation import MAX_ID



class _Checked:
    """A field whose value goes through one of the shared rules (app.validation)."""

    def __init__(self, rule, *args, **kwargs):
        self.rule = rule
        super().__init__(*args, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        value = super()._deserialize(value, attr, data, **kwargs)
        try:
            return self.rule(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from exc


class CheckedString(_Checked, fields.String):
    pass


class LocalDateTime(fields.DateTime):
    """A wall-clock time in the release's zone: ISO 8601 without an offset, so not the
    RFC 3339 date-time that JSON Schema's "date-time" means."""

    def __init__(self, **kwargs):
        metadata = {"format": "local-date-time", "example": "2027-03-01T00:00:00",
                    "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$",
                    **kwargs.pop("metadata", {})}
        super().__init__(format="iso", metadata=metadata, **kwargs)


class CheckedList(_Checked, fields.List):
    pass


@contextmanager
def field_errors(field):
    """A ValueError from a shared rule becomes a 422 on ``field``.

    ``field`` is a name, or a function of the message that picks one.
    """
    try:
        yield
    except TransitionError:
        raise
    except ValueError as exc:
        name = field(str(exc)) if callable(field) else field
        raise ValidationError(str(exc), field_name=name) from exc


def visible(model, pk, field, message):
    """The row with ``pk`` if the caller's scope can see it, else a 422 on ``field``.

    A query rather than session.get: the identity map would skip the tenant criteria.
    """
    row = db.session.scalars(select(model).where(model.id == pk)).first()
    if row is None:
        raise ValidationError(message, field_name=field)
    return row


def json_object():
    """The request's JSON body, which must be an object; a ValidationError (400) otherwise."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationError("Send a JSON object (Content-Type: application/json)")
    return body


def actor():
    return current_scope().actor


def id_field(**kwargs):
    return fields.Integer(validate=validate.Range(min=1, max=MAX_ID, error="Not a valid id"),
                          **kwargs)


class Interface(SQLAInterface):
    """An id no primary key can hold is simply not found (the driver would raise)."""

    def get(self, id, *args, **kwargs):
        try:
            in_range = 0 < int(id) <= MAX_ID
        except (TypeError, ValueError):
            in_range = False
        return super().get(id, *args, **kwargs) if in_range else None


class _OutputColumns:
    """``columns`` in a list/show query picks fields of the API's own output schema."""

    def __init__(self, schema):
        self.schema = schema

    def convert(self, columns, **_kwargs):
        return type(self.schema)(only=columns)


class PresaveApi(DescribedTruly, ModelRestApi):
    """A ModelRestApi with one output schema, and writes that answer 4xx, never 500.

    Subclasses set ``output_schema`` (a class) and, when writable, ``add_model_schema``
    and ``edit_model_schema`` plus ``create(data)`` and ``update(item, data)``.
    """

    allow_browser_login = False  # FAB's API is CSRF-exempt: bearer tokens only
    output_schema = None
    conflict = ("slug", "This slug is already taken")

    def __init__(self):
        self.show_model_schema = self.output_schema()
        self.list_columns = self.show_columns = list(self.show_model_schema.fields)
        # The same fields; ``only`` gives apispec a second key for the second component name.
        self.list_model_schema = self.output_schema(only=self.list_columns)
        # Every column is loaded: the output is computed from several of them.
        self.list_select_columns = self.show_select_columns = [
            attr.key for attr in inspect(self.datamodel.obj).column_attrs]
        for kind in ("add", "edit"):
            schema = getattr(self, f"{kind}_model_schema")
            if schema is not None:
                setattr(self, f"{kind}_columns", list(schema.fields))
        super().__init__()

    def _init_model_schemas(self):
        super()._init_model_schemas()
        self.model2schemaconverter = _OutputColumns(self.show_model_schema)

    def post_headless(self):
        return self._write(201, self.add_model_schema, self.create)

    def put_headless(self, pk):
        item = self.scoped_item(pk)
        if item is None:
            return self.response_404()
        return self._write(200, self.edit_model_schema, lambda data: self.update(item, data),
                           partial=True)

    def create(self, data):
        raise NotImplementedError

    def update(self, item, data):
        raise NotImplementedError

    def scoped_item(self, pk):
        return self.datamodel.get(pk, self._base_filters)

    def _write(self, status, schema, apply, partial=False):
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response_400(message="Send a JSON object (Content-Type: application/json)")
        return self.commit(status, lambda: apply(schema.load(body, partial=partial)))

    def commit(self, status, work):
        """Run ``work`` (returns the item), commit, and answer; roll back on any refusal."""
        try:
            item = work()
            db.session.commit()
        except ValidationError as exc:
            return self._refuse(422, exc.normalized_messages())
        except SlugTaken as exc:
            return self._refuse(409, {"slug": [str(exc)]})
        except TransitionError as exc:
            return self._refuse(409, str(exc))
        except IntegrityError:
            field, message = self.conflict
            return self._refuse(409, {field: [message]})
        except TenantScopeError as exc:
            return self._refuse(403, str(exc) or "Not allowed for your label")
        return self.response(status, id=item.id, result=self.show_model_schema.dump(item))

    def _refuse(self, status, message):
        db.session.rollback()
        return self.response(status, message=message)
