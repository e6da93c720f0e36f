"""The Docker-VIM's refusals and the Docker failures it translates."""

import contextlib

import docker.errors
import requests

from emuvim.api.errors import HttpError


def refuse(status, code, message, **details):
    return HttpError(status, message, code=code, details=details or None)


@contextlib.contextmanager
def docker_errors(context):
    """Turn Docker SDK failures into answers: the daemon gone is 503, a hung
    daemon 504, anything else Docker refuses 502 with Docker's own words."""
    try:
        yield
    except docker.errors.NotFound as err:
        raise refuse(404, "not_found", "%s: %s" % (context, err.explanation or err)) from err
    except docker.errors.APIError as err:
        if err.status_code == 409:
            raise refuse(409, "conflict", "%s: %s" % (context, err.explanation or err)) from err
        if err.is_client_error():     # Docker refused what the client asked for
            raise refuse(400, "docker_refused", "%s: %s" % (context, err.explanation or err)) \
                from err
        raise refuse(502, "docker_error", "%s: %s" % (context, err.explanation or err)) from err
    except requests.exceptions.Timeout as err:
        raise refuse(504, "docker_timeout", "%s: Docker did not answer in time" % context) \
            from err
    except (requests.exceptions.ConnectionError, docker.errors.DockerException) as err:
        raise refuse(503, "docker_unavailable", "%s: cannot reach Docker (%s)"
                     % (context, err)) from err
