"""The Docker-VIM API (`/v1`): Docker's container, image and network
operations for orchestrators and field operators, on the emulator's REST
endpoint (same app, same server, same error rules).

It replaces a student project's Flask wrapper around docker-py (see the
README) and keeps none of its flaws:

* scoped: only containers and networks of this emulator run (labelled
  ``emuvim.run``) are visible; everything else answers 404 and survives
  stop-all and prune;
* a container lives in a PoP: starting it attaches its interfaces to the
  PoP's switch, stopping it detaches them (its chains and flows go), and a
  later start attaches them again with the same addresses;
* JSON everywhere, one error shape ``{"error", "code", "details"}``, no GET
  changes anything, and every mutating request must say
  ``Content-Type: application/json`` (a web page cannot forge that without
  a CORS preflight, which /v1 never grants).
"""

from emuvim.api.dockervim.app import install

__all__ = ["install"]
