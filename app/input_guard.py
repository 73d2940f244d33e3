"""Refuse NUL characters in any request text: PostgreSQL cannot store or compare them."""
from flask import abort, request

MESSAGE = "The request contains a NUL character, which no field may hold."


def refuse_nul_characters():
    texts = [request.path, *request.args.values(), *request.form.values()]
    if any("\x00" in text for text in texts):
        abort(400, MESSAGE)
    if request.is_json and b"\\u0000" in request.get_data(cache=True):
        abort(400, MESSAGE)
