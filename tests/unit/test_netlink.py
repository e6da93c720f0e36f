"""netlink calls work from a thread whose asyncio loop is running (Jupyter,
Playwright's sync API): pyroute2 cannot run its own loop there."""

import asyncio

from emuvim.dcemulator import netlink


def test_namespace_works_inside_a_running_event_loop():
    async def inside_a_loop():
        namespace = netlink.Namespace()
        try:
            return namespace.index("lo")
        finally:
            namespace.close()
    assert asyncio.run(inside_a_loop()) == netlink.Namespace().index("lo")


def test_errors_cross_back_from_the_helper_thread():
    async def inside_a_loop():
        namespace = netlink.Namespace()
        try:
            namespace.index("no-such-device0")
        finally:
            namespace.close()
    try:
        asyncio.run(inside_a_loop())
    except LookupError as err:
        assert "no-such-device0" in str(err)
    else:
        raise AssertionError("a missing device was found")
