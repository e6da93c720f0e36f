"""Heat (orchestration v1): stacks of HOT templates on one PoP."""

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from emuvim.api.bodies import documented
from emuvim.api.openstack import bodies as B
from emuvim.api.openstack.common import TITLES, json_body, service_app, version_link


def heat_error(status, message):
    title = TITLES.get(status, "Error")
    return {"code": status, "title": title, "explanation": message,
            "error": {"message": message, "type": title.replace(" ", ""), "traceback": None}}


def build_app(endpoint):
    stacks = endpoint.stacks
    project = endpoint.cloud.project_id
    app = service_app("emuvim Heat", heat_error, tokens=endpoint.tokens, project_id=project)

    def url():
        return endpoint.urls["orchestration"]

    def links(stack):
        return version_link("%s/v1/%s/stacks/%s/%s" % (url(), project, stack.name, stack.id))

    def stack_view(stack, detail=True):
        view = {"id": stack.id, "stack_name": stack.name, "links": links(stack),
                "description": stack.template.description, "creation_time": stack.created,
                "updated_time": stack.updated, "deletion_time": None,
                "stack_status": stack.status, "stack_status_reason": stack.reason,
                "stack_owner": None, "parent": None, "tags": None, "project": project,
                "stack_user_project_id": project}
        if detail:
            view.update({"parameters": {k: str(v) for k, v in stack.parameters.items()},
                         "outputs": [{"output_key": k, "output_value": v, "description": ""}
                                     for k, v in stack.outputs.items()],
                         "disable_rollback": True, "timeout_mins": None,
                         "capabilities": [], "notification_topics": [],
                         "template_description": stack.template.description})
        return view

    @app.get("/", summary="orchestration API versions")
    def versions():
        return JSONResponse({"versions": [{"id": "v1.0", "status": "CURRENT",
                                           "links": version_link(url() + "/v1/")}]},
                            status_code=300)

    @app.get("/v1/stacks", summary="stacks")
    def list_stacks(request: Request):
        names = request.query_params.getlist("name")
        statuses = request.query_params.getlist("status")
        return {"stacks": [stack_view(s, False) for s in list(stacks.stacks.values())
                           if (not names or s.name in names)
                           and (not statuses or s.status.split("_")[-1] in statuses
                                or s.status in statuses)]}

    @app.post("/v1/stacks", status_code=201, summary="create a stack from a HOT template",
              openapi_extra=documented(B.Stack, True))
    async def create_stack(request: Request):
        stack = await run_in_threadpool(stacks.create, await json_body(request, model=B.Stack))
        return JSONResponse({"stack": {"id": stack.id, "links": links(stack)}},
                            status_code=201)

    def events_view(stack, request):
        events = list(stack.events)
        if request.query_params.get("sort_dir") == "desc":
            events.reverse()
        marker = request.query_params.get("marker")
        if marker:
            ids = [e.id for e in events]
            events = events[ids.index(marker) + 1:] if marker in ids else []
        limit = request.query_params.get("limit")
        if limit and limit.isdigit():
            events = events[:int(limit)]
        resource = request.query_params.get("resource_name")
        if resource:
            events = [e for e in events if e.resource_name == resource]
        return {"events": [{"id": e.id, "event_time": e.time, "resource_name": e.resource_name,
                            "logical_resource_id": e.resource_name,
                            "physical_resource_id": e.physical_resource_id,
                            "resource_type": e.resource_type, "resource_status": e.status,
                            "resource_status_reason": e.reason, "links": links(stack)}
                           for e in events]}

    def resources_view(stack):
        return {"resources": [{"resource_name": r.name, "logical_resource_id": r.name,
                               "physical_resource_id": r.physical_id, "resource_type": r.type,
                               "resource_status": r.status, "resource_status_reason": r.reason,
                               "updated_time": r.updated, "creation_time": r.updated,
                               "required_by": [], "links": links(stack)}
                              for r in stack.resources.values()]}

    # Routes with a fixed last segment first: /stacks/<name>/events must not be
    # read as /stacks/<name>/<id>.
    for index, prefix in enumerate(("/v1/stacks/{stack_ref}",
                                    "/v1/stacks/{stack_ref}/{stack_id}")):
        @app.get(prefix + "/events", summary="a stack's events", name="events%d" % index)
        def events(stack_ref: str, request: Request):
            return events_view(stacks.find(stack_ref), request)

        @app.get(prefix + "/resources", summary="a stack's resources",
                 name="resources%d" % index)
        def resources(stack_ref: str):
            return resources_view(stacks.find(stack_ref))

        @app.get(prefix + "/template", summary="a stack's template", name="template%d" % index)
        def template(stack_ref: str):
            return stacks.find(stack_ref).template.raw

    @app.get("/v1/stacks/{stack_ref}/{stack_id}", summary="one stack", name="show_named")
    @app.get("/v1/stacks/{stack_ref}", summary="one stack (by name or id)")
    def show_stack(stack_ref: str):
        return {"stack": stack_view(stacks.find(stack_ref))}

    @app.delete("/v1/stacks/{stack_ref}/{stack_id}", status_code=204, summary="delete a stack",
                name="delete_named")
    @app.delete("/v1/stacks/{stack_ref}", status_code=204, summary="delete a stack")
    async def delete_stack(stack_ref: str):
        await run_in_threadpool(stacks.delete, stack_ref)
        return Response(status_code=204)

    return app
