"""What FAB's OpenAPI generator gets wrong about our answers, put right in one place.

FAB declares every list's ``ids`` and a write's ``id`` as strings (ours are integers), a
write's ``result`` as the input schema (it is the item as shown), ``_info``'s
``add_columns``/``edit_columns`` as objects (they are arrays of column descriptions), and
every error's ``message`` as a string, where a refused write answers an object of per-field
messages. APIs mix DescribedTruly in before FAB's base class.
"""
import copy

from flask_appbuilder.api import BaseApi

MESSAGE = {"oneOf": [
    {"type": "string"},
    {"type": "object", "description": "The messages of each field that was refused",
     "additionalProperties": {}},
]}
FIELD_MESSAGES = ("400", "409", "422")


def _responses():
    answers = copy.deepcopy(BaseApi.responses)
    for status in FIELD_MESSAGES:
        answers.setdefault(status, copy.deepcopy(BaseApi.responses["422"]))
        answers[status]["content"]["application/json"]["schema"]["properties"]["message"] = MESSAGE
    answers["409"]["description"] = "Conflicts with what is stored"
    return answers


def _correct(operation):
    for answer in operation.get("responses", {}).values():
        if not isinstance(answer, dict):
            continue
        schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
        properties = schema.get("properties", {})
        if "ids" in properties:
            properties["ids"] = {"type": "array", "items": {"type": "integer"}}
        if properties.get("id", {}).get("type") == "string":
            properties["id"] = {**properties["id"], "type": "integer"}
        written = properties.get("result", {}).get("$ref", "")
        if written.endswith((".post", ".put")):  # a write answers the item as shown
            properties["result"] = {"$ref": written.rsplit(".", 1)[0] + ".get"}
        for name in ("add_columns", "edit_columns"):
            if name in properties:
                properties[name] = {"type": "array", "items": {"type": "object"}}


class DescribedTruly:
    responses = _responses()

    def add_apispec_components(self, api_spec):
        super().add_apispec_components(api_spec)
        # FAB's own APIs registered theirs first; a component name is taken only once
        api_spec.components.responses.update(copy.deepcopy(self.responses))

    def add_api_spec(self, api_spec):
        before = set(api_spec._paths)
        super().add_api_spec(api_spec)
        for path in set(api_spec._paths) - before:
            for operation in api_spec._paths[path].values():
                _correct(operation)
