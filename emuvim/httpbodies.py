"""Request bodies as pydantic models in the OpenAPI document, for every
emuvim API (the controller's included: this module imports nothing of
emuvim's).  See emuvim.api.bodies for how the APIs check them."""

from pydantic import BaseModel, ConfigDict


class Body(BaseModel):
    """A body whose unknown fields are kept (clients send more than we read)."""
    model_config = ConfigDict(extra="allow")


class StrictBody(BaseModel):
    """A body whose unknown fields are refused."""
    model_config = ConfigDict(extra="forbid")


def schema_of(model):
    """The model's JSON schema with its definitions inlined (no $ref: an
    openapi_extra schema cannot point into FastAPI's components)."""
    schema = model.model_json_schema()
    definitions = schema.pop("$defs", {})

    def inline(node):
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(dict(definitions[node["$ref"].rsplit("/", 1)[-1]]))
            return {key: inline(value) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node
    return inline(schema)


def documented(model, required=False, media_type="application/json", extra_types=()):
    """openapi_extra declaring `model` as the request body (also under
    `extra_types`, e.g. a raw upload)."""
    content = {media_type: {"schema": schema_of(model)}}
    for kind, schema in extra_types:
        content[kind] = {"schema": schema}
    return {"requestBody": {"required": required, "content": content}}


def upload_body(field="package"):
    """openapi_extra for a file upload: multipart field `field`, or the raw body."""
    binary = {"type": "string", "format": "binary"}
    return {"requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": {"type": "object", "required": [field],
                                           "properties": {field: binary}}},
        "application/octet-stream": {"schema": binary}}}}
