"""The /v1 routes, mounted on the REST endpoint's app."""

import json
import os
import platform
import queue
import shutil
import tempfile
import threading

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from emuvim import __version__
from emuvim.api.bodies import documented
from emuvim.api.dockervim import bodies as B
from emuvim.api.dockervim.containers import ContainerService, docker_name
from emuvim.api.dockervim.errors import docker_errors, refuse
from emuvim.api.dockervim.fields import Fields, body_of, query_bool, query_number
from emuvim.api.dockervim.images import ImageService
from emuvim.api.dockervim.inside import read_logs, read_stats, run_exec
from emuvim.api.dockervim.networks import NetworkService
from emuvim.api.errors import HttpError
from emuvim.httpguard import MAX_UPLOAD_BYTES

API_VERSION = "1"
EXEC_FIELDS = ("cmd", "shell", "env", "workdir", "user", "timeout_s", "max_output_bytes",
               "encoding")


def install(app, endpoint):
    """Add /v1 to a REST endpoint's FastAPI app (guarded with the rest of it)."""
    containers = ContainerService(endpoint)
    images = ImageService(endpoint, build_roots=getattr(endpoint, "build_roots", None))
    networks = NetworkService(endpoint, containers)
    endpoint.docker_vim = containers
    app.include_router(system_router(endpoint, containers))
    app.include_router(image_router(endpoint, images))
    app.include_router(container_router(containers))
    app.include_router(network_router(networks))


def created(body, location):
    return JSONResponse(body, status_code=201, headers={"Location": location})


# -- system -----------------------------------------------------------------------------

def system_router(endpoint, containers):
    api = APIRouter(prefix="/v1", tags=["docker-vim: system"])

    def docker_info():
        with docker_errors("reading Docker's info"):
            return containers.engine.client.api.info()

    @api.get("/health", summary="Docker reachable and the emulator started")
    def health():
        net = containers.net
        info = docker_info()
        return {"status": "ok", "docker": info.get("ServerVersion"),
                "emulator_started": bool(net.started), "run_id": net.identity.run_id}

    @api.get("/version")
    def version():
        with docker_errors("reading Docker's version"):
            docker_version = containers.engine.client.api.version()
        return {"emuvim": __version__, "api": API_VERSION,
                "docker_server": docker_version.get("Version"),
                "docker_api": docker_version.get("ApiVersion")}

    @api.get("/info", summary="Docker and emulator summary (?raw=true adds Docker's info)")
    def info(raw: str = None):
        net = containers.net
        data = docker_info()
        states = {}
        for item in containers.list():
            states[item["state"]] = states.get(item["state"], 0) + 1
        result = {"docker": {
            "server_version": data.get("ServerVersion"), "driver": data.get("Driver"),
            "cgroup_version": data.get("CgroupVersion"),
            "kernel_version": data.get("KernelVersion"),
            "os": data.get("OperatingSystem"), "ncpu": data.get("NCPU"),
            "mem_total_bytes": data.get("MemTotal"), "containers": data.get("Containers"),
            "containers_running": data.get("ContainersRunning"),
            "images": data.get("Images")},
            "emulator": {"run_id": net.identity.run_id, "pops": sorted(endpoint.dcs),
                         "containers": states, "datapath": net.datapath,
                         "netem": net.netem_available, "api": "/v1",
                         "host": platform.node()}}
        if query_bool(raw, "raw"):
            result["docker_raw"] = data
        return result

    @api.get("/pops", summary="PoPs with their containers (read-only)")
    def pops():
        return [{"label": dc.label, "switch": dc.switch.name if dc.switch else None,
                 "containers": sorted(dc.containers), "metadata": dc.metadata}
                for dc in endpoint.dcs.values()]

    return api


# -- images -----------------------------------------------------------------------------

def image_router(endpoint, images):
    api = APIRouter(prefix="/v1/images", tags=["docker-vim: images"])

    @api.get("", summary="local images (?label=k=v, ?emulator_built=true)")
    def list_images(label: str = None, emulator_built: str = None):
        return images.list(label, query_bool(emulator_built, "emulator_built"))

    @api.post("/build", status_code=201, openapi_extra=documented(
        B.ImageBuild, extra_types=[("application/x-tar", {"type": "string",
                                                          "format": "binary"})]),
              summary="build from <root>/<folder> (JSON) or an uploaded tar context",
              description="JSON: context, tag, dockerfile, build_args, no_cache. Or the body "
                          "is a tar (Content-Type application/x-tar) with ?tag=. With "
                          "'Accept: application/x-ndjson' the build's lines stream as "
                          "they come.")
    async def build(request: Request):
        upload_dir = None
        if request.headers.get("content-type", "").startswith("application/json"):
            build_request = images.build_request(await body_of(request))
        else:
            upload_dir = await receive_context(request, images, endpoint)
            build_request = images.build_request({"context": "upload/" + os.path.basename(
                upload_dir), **tar_build_query(request)})
        try:
            await run_in_threadpool(images.check_build, **build_request)
        except BaseException:
            cleanup(upload_dir)
            raise
        if "application/x-ndjson" in request.headers.get("accept", ""):
            return StreamingResponse(stream_build(images, build_request, upload_dir),
                                     status_code=201, media_type="application/x-ndjson")
        try:
            image, log = await run_in_threadpool(images.build, build_request)
        finally:
            cleanup(upload_dir)
        return created({"image": image, "log": log}, "/v1/images/" + build_request["tag"])

    @api.post("/pull", openapi_extra=documented(B.ImagePull, True),
              summary="pull once, with a time limit (offline: 502 with a hint)")
    async def pull(request: Request):
        fields = Fields(await body_of(request), ("image",))
        image, pulled = await run_in_threadpool(images.pull,
                                                fields.get("image", str, required=True))
        return JSONResponse({"image": image, "pulled": pulled},
                            status_code=201 if pulled else 200)

    @api.get("/{ref:path}", summary="inspect an image (id or name:tag)")
    def inspect(ref: str):
        from emuvim.api.dockervim.images import image_view
        return image_view(images.inspect(ref))

    @api.delete("/{ref:path}", status_code=204, summary="remove an image built through /v1")
    def remove(ref: str):
        images.remove(ref)
        return Response(status_code=204)

    return api


def tar_build_query(request):
    query = dict(request.query_params)
    result = {"tag": query.get("tag")}
    if "dockerfile" in query:
        result["dockerfile"] = query["dockerfile"]
    if "no_cache" in query:
        result["no_cache"] = query_bool(query["no_cache"], "no_cache")
    return result


async def receive_context(request, images, endpoint):
    """Stream an uploaded tar to disk (size-limited) and unpack it safely."""
    run_dir = endpoint.net.record.path
    uploads = os.path.join(run_dir, "uploads")
    os.makedirs(uploads, exist_ok=True)
    images.build_roots.setdefault("upload", uploads)
    fd, tar_path = tempfile.mkstemp(suffix=".tar", dir=run_dir)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_UPLOAD_BYTES:
                    raise refuse(413, "payload_too_large", "context exceeds %d bytes"
                                 % MAX_UPLOAD_BYTES)
                out.write(chunk)
        return await run_in_threadpool(images.unpack_upload, tar_path, uploads)
    finally:
        os.unlink(tar_path)


def cleanup(path):
    if path:
        shutil.rmtree(path, ignore_errors=True)


def stream_build(images, build_request, upload_dir):
    """NDJSON: one {"stream": line} per build line, then {"image": ...} or an error."""
    lines = queue.Queue()

    def work():
        try:
            image, _ = images.build(build_request, on_line=lambda l: lines.put({"stream": l}))
            lines.put({"image": image})
        except HttpError as err:
            lines.put({"error": str(err), "code": err.code, "details": err.details})
        except Exception as err:  # noqa: BLE001  (reported in the stream: status is sent)
            lines.put({"error": "build failed: %s" % err, "code": "build_failed"})
        finally:
            cleanup(upload_dir)
            lines.put(None)

    threading.Thread(target=work, daemon=True).start()
    while True:
        item = lines.get()
        if item is None:
            return
        yield json.dumps(item) + "\n"


# -- containers ---------------------------------------------------------------------------

def container_router(containers):
    api = APIRouter(prefix="/v1/containers", tags=["docker-vim: containers"])

    @api.get("", summary="this run's containers, all states (?state= ?pop= ?image= ?label=k=v)")
    def list_containers(state: str = None, pop: str = None, image: str = None,
                        label: str = None):
        return containers.list(state, pop, image, label)

    @api.post("", status_code=201, summary="create (start: false) or run (start: true)",
              openapi_extra=documented(B.ContainerCreate, True))
    async def create(request: Request):
        name = await run_in_threadpool(containers.create, await body_of(request))
        view = await run_in_threadpool(containers.view, name, True)
        return created(view, "/v1/containers/" + name)

    @api.post("/actions/stop-all", openapi_extra=documented(B.StopAll),
              summary="stop every running container of this run")
    async def stop_all(request: Request):
        fields = Fields(await body_of(request), ("timeout_s", "pop"))
        pop = fields.get("pop", str)
        if pop is not None:
            containers.pop(pop)
        return await run_in_threadpool(containers.stop_all, pop, timeout_of(fields))

    @api.post("/actions/prune", openapi_extra=documented(B.Nothing),
              summary="remove this run's stopped containers")
    async def prune(request: Request):
        Fields(await body_of(request), ())
        return await run_in_threadpool(containers.prune)

    @api.get("/{name}", summary="inspect (?raw=true adds Docker's inspect data)")
    def inspect(name: str, raw: str = None):
        view = containers.view(name, detail=True)
        if query_bool(raw, "raw"):
            view["docker_raw"] = containers.attrs(name)
        return view

    def state_change(action):
        async def change(name: str, request: Request):
            fields = Fields(await body_of(request), ("timeout_s",) if action in (
                "stop", "restart") else ())
            if action == "start":
                changed = await run_in_threadpool(containers.start, name)
            elif action in ("stop", "restart"):
                method = getattr(containers, action)
                changed = await run_in_threadpool(method, name, timeout_of(fields))
            else:
                changed = await run_in_threadpool(containers.pause, name, action == "pause")
            view = await run_in_threadpool(containers.view, name)
            return {"changed": changed, "container": view}
        return change

    for action in ("start", "stop", "restart", "pause", "unpause"):
        api.post("/{name}/%s" % action, summary=action, openapi_extra=documented(
            B.Timeout if action in ("stop", "restart") else B.Nothing))(state_change(action))

    @api.delete("/{name}", status_code=204, summary="remove (?force=true stops it first)")
    async def remove(name: str, force: str = None):
        await run_in_threadpool(containers.remove, name, bool(query_bool(force, "force")))
        return Response(status_code=204)

    @api.post("/{name}/exec", openapi_extra=documented(B.Exec, True),
              summary="run a command in the running container",
              description="cmd: a list, or a string with shell: true. Answers exit_code, "
                          "stdout, stderr, timed_out (a non-zero exit is still 200).")
    async def exec_command(name: str, request: Request):
        fields = Fields(await body_of(request), EXEC_FIELDS)
        shell = fields.get("shell", bool, False)
        cmd = fields.argv("cmd", allow_string=shell)
        if cmd is None:
            raise refuse(400, "invalid_field", "cmd: is required", field="cmd")
        argv = ["/bin/sh", "-c", cmd if isinstance(cmd, str) else " ".join(cmd)] if shell \
            else cmd
        timeout_s = fields.get("timeout_s", float, 30.0)
        max_bytes = fields.get("max_output_bytes", int, 1 << 20)
        encoding = fields.get("encoding", str, "utf-8")
        if not 0 < timeout_s <= 3600:
            raise refuse(400, "invalid_field", "timeout_s: must be in (0, 3600]")
        if not 0 <= max_bytes <= 16 << 20 or encoding not in ("utf-8", "base64"):
            raise refuse(400, "invalid_field", "max_output_bytes must be 0..16 MiB and "
                                               "encoding utf-8 or base64")
        _node, attrs = containers.running(name)
        with docker_errors("exec in %s" % name):
            result = await run_in_threadpool(
                run_exec, containers.engine.client.api, attrs["Id"], argv,
                env=fields.string_map("env"), workdir=fields.get("workdir", str),
                user=fields.get("user", str, ""), timeout_s=timeout_s,
                max_output_bytes=max_bytes, encoding=encoding)
        return result

    @api.get("/{name}/logs", summary="log lines with their stream (?tail=1000 by default)")
    def logs(name: str, tail: str = "1000", since: str = None, until: str = None,
             stdout: str = "true", stderr: str = "true", timestamps: str = "true"):
        attrs = containers.attrs(name)
        with docker_errors("reading logs of %s" % name):
            result = read_logs(containers.engine.client.api, attrs["Id"],
                               tail=query_number(tail, "tail", 0, 100000, int),
                               since=query_number(since, "since", 0, 1e11, int),
                               until=query_number(until, "until", 0, 1e11, int),
                               stdout=query_bool(stdout, "stdout"),
                               stderr=query_bool(stderr, "stderr"),
                               timestamps=query_bool(timestamps, "timestamps"))
        return dict(result, container=name)

    @api.get("/{name}/stats", summary="CPU over ?window_s (default 1), memory, pids, "
                                       "interface counters")
    def stats(name: str, window_s: str = "1"):
        window = query_number(window_s, "window_s", 0.05, 10)
        _node, attrs = containers.running(name)
        return dict(read_stats(attrs, window), container=name)

    @api.patch("/{name}/resources", openapi_extra=documented(B.Resources, True),
               summary="change CPU/memory limits of a running container")
    async def resources(name: str, request: Request):
        body = await body_of(request)
        update = ContainerService._resources(Fields({"resources": body}, ("resources",)))
        node, _attrs = containers.running(name)
        if "mem_limit" in update and "memswap_limit" not in update:
            update["memswap_limit"] = -1
        with docker_errors("updating %s" % name):
            await run_in_threadpool(node.update_resources, **update)
        return containers.view(name)

    return api


def timeout_of(fields):
    timeout = fields.get("timeout_s", int, 10)
    if not 0 <= timeout <= 600:
        raise refuse(400, "invalid_field", "timeout_s: must be 0..600")
    return timeout


# -- networks ---------------------------------------------------------------------------

def network_router(networks):
    api = APIRouter(prefix="/v1/networks", tags=["docker-vim: networks"])

    @api.get("", summary="this run's Docker networks")
    def list_networks():
        return networks.list()

    @api.post("", status_code=201, summary="create a bridge network",
              openapi_extra=documented(B.NetworkCreate, True))
    async def create(request: Request):
        view = await run_in_threadpool(networks.create, await body_of(request))
        return created(view, "/v1/networks/" + view["name"])

    @api.get("/{name}")
    def inspect(name: str):
        return networks.view(name)

    @api.delete("/{name}", status_code=204)
    def remove(name: str):
        networks.remove(name)
        return Response(status_code=204)

    @api.post("/{name}/connect", openapi_extra=documented(B.NetworkConnect, True),
              summary="connect a container (ipv4_address optional)")
    async def connect(name: str, request: Request):
        return await run_in_threadpool(networks.connect, name, await body_of(request), True)

    @api.post("/{name}/disconnect", openapi_extra=documented(B.NetworkConnect, True))
    async def disconnect(name: str, request: Request):
        return await run_in_threadpool(networks.connect, name, await body_of(request), False)

    return api


__all__ = ["install", "docker_name"]
