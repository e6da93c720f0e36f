"""Request bodies as JSON objects, the same way for every API."""

import json


class BodyError(ValueError):
    """The body is not the JSON object the API expects (a 400)."""


def json_object(raw, required=False, decode_string=False):
    """The JSON object in `raw` (bytes); {} for an empty body unless required.

    decode_string: accept a JSON string that holds the object (some vim-emu
    clients encode twice).
    """
    raw = raw.strip()
    if not raw:
        if required:
            raise BodyError("a JSON body is required")
        return {}
    try:
        body = json.loads(raw)
        if decode_string and isinstance(body, str):
            body = json.loads(body)
    except ValueError as err:
        raise BodyError("body is not JSON: %s" % err) from err
    except RecursionError as err:
        raise BodyError("body nests too deeply") from err
    if not isinstance(body, dict):
        raise BodyError("body must be a JSON object")
    return body
