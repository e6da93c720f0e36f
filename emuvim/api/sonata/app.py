"""The SONATA dummy gatekeeper's HTTP dialect, on the LLCM's engine.

Paths, methods and response shapes are son-emu's: ``service_uuid_list``,
``service_instantiations_list`` (one list of instance uuids per on-boarded
service), ``/api/v2/...``.  Differences, on purpose:
client mistakes get a 4xx with a JSON reason (son-emu answered 500 or crashed),
uploads are size-limited while they stream, and "latest" means the most
recently on-boarded service (son-emu took whichever its dict gave first).
"""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from emuvim.api.errors import HttpError, error_response, install_error_handlers
from emuvim.api.bodies import documented, upload_body
from emuvim.api.tango.app import Instantiation, Termination, onboard_upload, read_body_json

PACKAGES = ["/packages", "/api/v2/packages"]
INSTANTIATIONS = ["/instantiations", "/api/v2/instantiations", "/api/v2/requests"]


def first_instance_of(llcm, service_uuid):
    running = llcm.running_instances(service_uuid)
    if not running:
        raise HttpError(404, "Service %s has no running instance" % service_uuid)
    return running[0]


def build_app(llcm, on_exit=None):
    app = FastAPI(title="emuvim SONATA dummy gatekeeper", version="1.0",
                  description="son-emu compatible gatekeeper for SONATA .son packages, on the "
                              "same lifecycle engine as the 5GTANGO LLCM")
    install_error_handlers(app)

    @app.exception_handler(ClientDisconnect)
    async def disconnected(_request, _exc):
        return error_response(400, "client disconnected during the upload")

    async def upload_package(request: Request):
        return await onboard_upload(llcm, request, lambda record: {
            "warnings": list(record.service.warnings),
            "images_built": list(record.content.images_built)})

    def list_packages():
        return {"service_uuid_list": list(llcm.services)}

    async def instantiate(request: Request):
        body = await read_body_json(request)
        instance_uuid = await run_in_threadpool(llcm.instantiate, body.get("service_uuid"),
                                                body.get("service_name"))
        return JSONResponse({"service_instance_uuid": instance_uuid}, status_code=201)

    def list_instances():
        """son-emu's shape: per on-boarded service (in GET /packages order),
        the list of its instance uuids."""
        by_service = {uuid: [] for uuid in list(llcm.services)}
        for instance in llcm.list_instances():
            by_service.setdefault(instance["service_uuid"], []).append(instance["uuid"])
        return {"service_instantiations_list": list(by_service.values())}

    async def terminate(request: Request):
        """{service_uuid, service_instance_uuid}; either may be left out: the
        service's first running instance, of the latest service."""
        body = await read_body_json(request)
        service_uuid = llcm.find_service(body.get("service_uuid")).uuid
        instance_uuid = body.get("service_instance_uuid") or first_instance_of(llcm, service_uuid)
        await run_in_threadpool(llcm.terminate, None, instance_uuid)
        return JSONResponse("service instance with uuid %s stopped." % instance_uuid)

    def show_instance(instance_uuid: str):
        return llcm.instance_details(instance_uuid)

    def remove_service(service_uuid: str):
        llcm.remove_service(service_uuid)
        return JSONResponse("service %s removed." % service_uuid)

    def emulator_exit():
        if on_exit is None:
            raise HttpError(409, "this gatekeeper was started without an emulator to stop")
        on_exit()
        return JSONResponse("Emulator stopping.")

    for path in PACKAGES:
        app.add_api_route(path, upload_package, methods=["POST"], status_code=201,
                          openapi_extra=upload_body("package"),
                          summary="On-board a .son (multipart field 'package' or the body)")
        app.add_api_route(path, list_packages, methods=["GET"],
                          summary="{service_uuid_list: [...]}")
        app.add_api_route(path + "/{service_uuid}", remove_service, methods=["DELETE"],
                          summary="Remove an on-boarded service without running instances "
                                  "(son-emu had no way to; its unpacked files go too)")
    for path in INSTANTIATIONS:
        app.add_api_route(path, instantiate, methods=["POST"], status_code=201,
                          openapi_extra=documented(Instantiation),
                          summary="Instantiate {service_uuid} (missing or 'latest': the "
                                  "latest service)")
        app.add_api_route(path, list_instances, methods=["GET"],
                          summary="{service_instantiations_list: [[instance, ...] per service]} "
                                  "(son-emu's shape; services in GET /packages order)")
        app.add_api_route(path, terminate, methods=["DELETE"],
                          openapi_extra=documented(Termination),
                          summary="Terminate {service_uuid, service_instance_uuid}")
        app.add_api_route(path + "/{instance_uuid}", show_instance, methods=["GET"],
                          summary="One instance: containers, PoPs, addresses, links")
    app.add_api_route("/emulator/exit", emulator_exit, methods=["PUT"],
                      summary="Terminate all instances and stop the emulator")
    return app
