"""The LLCM's HTTP API (vim-emu's paths, methods and response shapes).

Differences from vim-emu, all on purpose: client mistakes get 4xx with a
JSON reason (never 500); the upload sha1 is of the content; GET
/instantiations names each instance by its own uuid (plus service_uuid);
"latest" means the most recently on-boarded service; uploads are size-limited
while they stream, not after.
"""

import os
import shutil
import tempfile
from typing import Optional

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from emuvim.api.bodies import Body, documented, upload_body
from emuvim.api.jsonbody import BodyError, json_object
from emuvim.api.errors import HttpError, error_response, install_error_handlers
from emuvim.api.tango.package import PackageError, sha1_of_file

PACKAGES = ["/packages", "/api/v2/packages", "/api/v3/packages"]
SERVICES = ["/services", "/api/v2/services", "/api/v3/services"]
INSTANTIATIONS = ["/instantiations", "/api/v2/instantiations", "/api/v2/requests",
                  "/api/v3/requests", "/api/v3/records/services"]


class Instantiation(Body):
    service_uuid: Optional[str] = None
    service_name: Optional[str] = None


class Termination(Body):
    service_uuid: Optional[str] = None
    service_instance_uuid: Optional[str] = None


async def read_body_json(request):
    """vim-emu forced JSON parsing: empty body = {}; anything but an object is a 400."""
    try:
        body = json_object(await request.body())
    except BodyError as err:
        raise HttpError(400, str(err)) from err
    for key, value in body.items():
        if value is not None and not isinstance(value, str):
            raise HttpError(400, "%s must be a string" % key)
    return body


class LimitedReceive:
    """An ASGI receive that fails once more than `limit` body bytes arrived."""

    def __init__(self, receive, limit):
        self.receive = receive
        self.limit = limit
        self.seen = 0

    async def __call__(self):
        message = await self.receive()
        if message["type"] == "http.request":
            self.seen += len(message.get("body", b""))
            if self.seen > self.limit:
                raise PackageError("upload larger than %d bytes" % self.limit, 413)
        return message


async def save_upload(request, folder, limit):
    """The uploaded package (multipart field 'package', or the raw body) as a file."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise PackageError("upload of %s bytes is larger than the limit of %d" % (
            length, limit), 413)
    limited = Request(request.scope, LimitedReceive(request.receive, limit))
    fd, path = tempfile.mkstemp(suffix=".tgo", dir=folder)
    try:
        with os.fdopen(fd, "wb") as sink:
            if request.headers.get("content-type", "").startswith("multipart/form-data"):
                await _copy_form_file(limited, sink)
            else:
                async for chunk in limited.stream():
                    sink.write(chunk)
        if os.path.getsize(path) == 0:
            raise PackageError("the upload is empty; send the .tgo as multipart field "
                               "'package' or as the request body", 400)
        return path
    except BaseException:
        os.unlink(path)
        raise


async def _copy_form_file(request, sink):
    try:
        form = await request.form()
    except (ValueError, AssertionError) as err:
        raise PackageError("cannot parse the multipart upload: %s" % err, 400) from err
    try:
        upload = form.get("package")
        if upload is None or isinstance(upload, str):
            files = [v for _, v in form.multi_items() if not isinstance(v, str)]
            if not files:
                raise PackageError("the multipart upload has no file field 'package'", 400)
            upload = files[0]
        await run_in_threadpool(shutil.copyfileobj, upload.file, sink)
    finally:
        await form.close()


async def onboard_upload(llcm, request, details=None):
    """POST /packages of both dialects: 201 {service_uuid, size, sha1, error}
    (plus details(record) if given), or the error in the same shape; the
    uploaded file is removed either way."""
    path = None
    try:
        path = await save_upload(request, llcm.upload_dir, llcm.options.max_upload_bytes)
        size, sha1 = os.path.getsize(path), await run_in_threadpool(sha1_of_file, path)
        service_uuid = await run_in_threadpool(llcm.onboard, path, size, sha1)
    except HttpError as err:
        return error_response(err.status, str(err), service_uuid=None, size=0, sha1=None)
    finally:
        if path and os.path.exists(path):
            os.unlink(path)
    body = {"service_uuid": service_uuid, "size": size, "sha1": sha1, "error": None}
    record = llcm.services.get(service_uuid)
    if details and record:
        body.update(details(record))
    return JSONResponse(body, status_code=201)


def build_app(llcm, on_exit=None):
    app = FastAPI(title="emuvim 5GTANGO LLCM", version="1.0",
                  description="vim-emu compatible lightweight lifecycle manager")

    install_error_handlers(app)

    @app.exception_handler(ClientDisconnect)
    async def disconnected(_request, _exc):
        return error_response(400, "client disconnected during the upload")

    async def upload_package(request: Request):
        return await onboard_upload(llcm, request)

    def list_packages():
        return JSONResponse([s.package_summary() for s in list(llcm.services.values())])

    def list_services():
        return JSONResponse([s.service_summary() for s in list(llcm.services.values())])

    async def instantiate(request: Request):
        body = await read_body_json(request)
        instance_uuid = await run_in_threadpool(
            llcm.instantiate, body.get("service_uuid"), body.get("service_name"))
        return JSONResponse({"service_instance_uuid": instance_uuid, "id": instance_uuid},
                            status_code=201)

    def list_instances():
        return JSONResponse(llcm.list_instances())

    async def terminate(request: Request):
        body = await read_body_json(request)
        await run_in_threadpool(llcm.terminate, body.get("service_uuid"),
                                body.get("service_instance_uuid"))
        return JSONResponse("Service(s) stopped.", status_code=200)

    def show_instance(instance_uuid: str):
        return JSONResponse(llcm.instance_details(instance_uuid))

    async def terminate_one(instance_uuid: str):
        await run_in_threadpool(llcm.terminate, None, instance_uuid)
        return JSONResponse("Service(s) stopped.", status_code=200)

    def remove_service(service_uuid: str):
        llcm.remove_service(service_uuid)
        return JSONResponse("Service removed.", status_code=200)

    def emulator_exit():
        if on_exit is None:
            raise HttpError(409, "this LLCM was started without an emulator to stop")
        on_exit()
        return JSONResponse("Emulator stopping.", status_code=200)

    for path in PACKAGES:
        app.add_api_route(path, upload_package, methods=["POST"], status_code=201,
                          openapi_extra=upload_body("package"),
                          summary="On-board a .tgo package (multipart field 'package' or body)")
        app.add_api_route(path, list_packages, methods=["GET"], summary="List packages")
    for path in SERVICES:
        app.add_api_route(path, list_services, methods=["GET"], summary="List services")
        app.add_api_route(path + "/{service_uuid}", remove_service, methods=["DELETE"],
                          summary="Remove an on-boarded service without instances")
    for path in INSTANTIATIONS:
        app.add_api_route(path, instantiate, methods=["POST"], status_code=201,
                          openapi_extra=documented(Instantiation),
                          summary="Instantiate a service {service_uuid | service_name}")
        app.add_api_route(path, list_instances, methods=["GET"], summary="List instances")
        app.add_api_route(path, terminate, methods=["DELETE"],
                          openapi_extra=documented(Termination),
                          summary="Terminate {service_instance_uuid | service_uuid | all}")
        app.add_api_route(path + "/{instance_uuid}", show_instance, methods=["GET"],
                          summary="One instance: units, PoPs, addresses, links")
        app.add_api_route(path + "/{instance_uuid}", terminate_one, methods=["DELETE"],
                          summary="Terminate one instance")
    app.add_api_route("/emulator/exit", emulator_exit, methods=["PUT"],
                      summary="Terminate all instances and stop the emulator")
    return app
