"""What packages and API calls may ask Docker for: one policy for every API.

A topology script runs as root and may give its own nodes anything.  A
service package (LLCM, SONATA gatekeeper) or an API call (/v1) comes from
someone else: by default it gets no host devices, no capabilities beyond
what emulated network functions need, and no host namespaces.  The emulator
owner lifts this with ``DCNetwork(allow_host_access=True)`` (or
``EMUVIM_ALLOW_HOST_ACCESS=1``); every refusal names that option.
"""

import os

ALLOW_ENV = "EMUVIM_ALLOW_HOST_ACCESS"
OPTION = "DCNetwork(allow_host_access=True) or %s=1" % ALLOW_ENV
# NET_ADMIN is what every VNF gets (interfaces, routes, tc); NET_RAW ping and
# packet sockets; SYS_NICE real-time scheduling of packet loops.
SAFE_CAPABILITIES = {"NET_ADMIN", "NET_RAW", "SYS_NICE"}
SAFE_DEVICES = {"/dev/net/tun"}
SAFE_IPC_MODES = {"private", "shareable", "none"}
HOST_NAMESPACE_OPTIONS = ("network_mode", "pid_mode", "ipc_mode", "userns_mode", "uts_mode")


class HostAccessRefused(ValueError):
    """A package or request asks for host access the emulator does not allow."""


def allowed_by_environment():
    return os.environ.get(ALLOW_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def capability_name(value):
    name = value.strip().upper()
    return name[len("CAP_"):] if name.startswith("CAP_") else name


def device_host_path(value):
    """The host side of a Docker device mapping ("/dev/x[:/dev/y[:rwm]]")."""
    return value.split(":", 1)[0]


def _strings(value, field, where):
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise HostAccessRefused("%s: %s must be a list of strings" % (where, field))
    return value


def check(options, allowed, where):
    """Refuse Docker options that reach into the host unless `allowed`.

    options: Docker create arguments (cap_add, devices, ipc_mode, privileged,
    network_mode, pid_mode, volumes, security_opt, ...).  Types are checked
    either way (a wrong type is a malformed request, not host access).
    """
    caps = _strings(options.get("cap_add") or [], "cap_add", where)
    devices = _strings(options.get("devices") or [], "devices", where)
    for key in HOST_NAMESPACE_OPTIONS:
        if options.get(key) is not None and not isinstance(options[key], str):
            raise HostAccessRefused("%s: %s must be a string" % (where, key))
    if allowed:
        return
    for cap in caps:
        if capability_name(cap) not in SAFE_CAPABILITIES:
            refuse(where, "capability %s" % cap, "capabilities other than %s" % ", ".join(
                sorted(SAFE_CAPABILITIES)))
    for device in devices:
        if device_host_path(device) not in SAFE_DEVICES:
            refuse(where, "device %s" % device, "host devices other than %s" % ", ".join(
                sorted(SAFE_DEVICES)))
    ipc = options.get("ipc_mode")
    if ipc is not None and ipc not in SAFE_IPC_MODES:
        refuse(where, "ipc_mode %s" % ipc, "the host's or another container's IPC namespace")
    for key in ("pid_mode", "userns_mode", "uts_mode"):
        if options.get(key) is not None:
            refuse(where, "%s %s" % (key, options[key]), "host namespaces")
    if options.get("network_mode") not in (None, "none", "bridge"):
        refuse(where, "network_mode %s" % options["network_mode"], "host namespaces")
    if options.get("privileged"):
        refuse(where, "privileged", "privileged containers")
    if options.get("volumes"):
        refuse(where, "volumes", "host mounts")
    if options.get("security_opt"):
        refuse(where, "security_opt", "changed security profiles")


def refuse(where, what, kind):
    raise HostAccessRefused("%s asks for %s: packages and API calls get no %s unless the "
                            "emulator is started with %s" % (where, what, kind, OPTION))
