"""Request bodies as pydantic models: one declaration documents a body in the
OpenAPI document (so /docs shows it and schema-driven fuzzers generate it)
and checks it before the core sees it.

The routes keep reading the raw body themselves (vim-emu's clients send
JSON strings of JSON, bare bodies, fields in the query or the body), so the
model is attached with :func:`documented` and applied with :func:`checked`:

    @api.put(path, openapi_extra=documented(ComputeStart))
    async def start(request: Request):
        body = checked(ComputeStart, await read_json(request))
"""

from pydantic import ValidationError

from emuvim.api.errors import HttpError
from emuvim.httpbodies import Body, StrictBody, documented, schema_of, upload_body

__all__ = ["Body", "StrictBody", "checked", "documented", "schema_of", "upload_body"]


def checked(model, data, status=400):
    """`data` validated by `model`, as a dict of the fields given (coerced);
    HttpError(status) naming the first wrong field otherwise."""
    try:
        return model.model_validate(data).model_dump(exclude_unset=True, by_alias=True)
    except ValidationError as err:
        raise HttpError(status, "invalid request: %s" % problems(err)) from None


def problems(err):
    return "; ".join("%s: %s" % (".".join(str(p) for p in e.get("loc", ())) or "body",
                                 e.get("msg")) for e in err.errors()[:3])
