"""/v1/wmn: the wireless-mesh scenario over REST (same app, guard and error
shape as the Docker-VIM API), plus the student project's POST /meshnet."""

from emuvim.api.wmn.app import router

__all__ = ["router"]
