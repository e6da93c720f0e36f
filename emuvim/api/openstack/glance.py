"""Glance v2: the PoP's local Docker images, read-only (build images with
`docker build` or `vim-emu images build`; nothing is ever pulled)."""

from fastapi import Request
from fastapi.responses import JSONResponse

from emuvim.api.errors import HttpError
from emuvim.api.openstack.common import keystone_error, service_app, version_link
from emuvim.api.openstack.model import matches, query_filters

IMAGE_SCHEMA = {"name": "image", "additionalProperties": {"type": "string"},
                "links": [{"href": "{self}", "rel": "self"}, {"href": "{file}", "rel": "enclosure"},
                          {"href": "{schema}", "rel": "describedby"}],
                "properties": {key: {"type": ["null", "string"]} for key in (
                    "id", "name", "status", "visibility", "container_format", "disk_format",
                    "owner", "checksum", "created_at", "updated_at", "self", "file",
                    "schema", "os_hash_algo", "os_hash_value")}}
IMAGE_SCHEMA["properties"].update({"size": {"type": ["null", "integer"]},
                                   "min_disk": {"type": "integer"},
                                   "min_ram": {"type": "integer"},
                                   "protected": {"type": "boolean"},
                                   "tags": {"type": "array", "items": {"type": "string"}}})


def build_app(endpoint):
    cloud = endpoint.cloud
    app = service_app("emuvim Glance", keystone_error, tokens=endpoint.tokens,
                      open_paths=("/versions",))

    def url():
        return endpoint.urls["image"]

    def versions_document():
        return {"versions": [{"id": "v2.%d" % minor, "status": "CURRENT" if minor == 9 else
                              "SUPPORTED", "links": version_link(url() + "/v2/")}
                             for minor in (9, 6, 0)]}

    @app.get("/", summary="image API versions")
    @app.get("/versions", summary="image API versions")
    def versions():
        return JSONResponse(versions_document(), status_code=300)

    def image_view(image):
        return {"id": image.id, "name": image.name, "status": "active", "visibility": "public",
                "container_format": "docker", "disk_format": "raw", "size": image.size,
                "virtual_size": None, "checksum": None, "os_hash_algo": None,
                "os_hash_value": None, "min_disk": 0, "min_ram": 0, "protected": False,
                "owner": cloud.project_id, "tags": [], "created_at": image.created,
                "updated_at": image.created, "os_hidden": False,
                "docker_image": image.docker_ref, "self": "/v2/images/" + image.id,
                "file": "/v2/images/%s/file" % image.id, "schema": "/v2/schemas/image"}

    @app.get("/v2/images", summary="images (filters: name, id incl. in:a,b, status, ...)")
    def images(request: Request):
        params = request.query_params
        wanted_ids = None
        if params.get("id", "").startswith("in:"):
            wanted_ids = set(params["id"][3:].split(","))
        filters = query_filters(params.multi_items(), ignore=("id",) if wanted_ids else ())
        views = [image_view(i) for i in cloud.images()]
        views = [v for v in views if matches(v, filters)
                 and (wanted_ids is None or v["id"] in wanted_ids)]
        return {"images": views, "first": "/v2/images", "schema": "/v2/schemas/images"}

    @app.get("/v2/images/{image_ref:path}", summary="one image (by id or name)")
    def image(image_ref: str):
        try:
            return image_view(cloud.find_image(image_ref))
        except HttpError:
            raise HttpError(404, "No image found with ID %s" % image_ref) from None

    @app.get("/v2/schemas/image", summary="the image schema")
    def schema():
        return IMAGE_SCHEMA

    @app.get("/v2/schemas/images", summary="the image list schema")
    def list_schema():
        return {"name": "images", "properties": {"images": {"type": "array",
                                                             "items": IMAGE_SCHEMA}},
                "links": [{"href": "{first}", "rel": "first"}, {"href": "{next}", "rel": "next"},
                          {"href": "{schema}", "rel": "describedby"}]}

    return app
