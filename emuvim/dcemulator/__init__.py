"""The emulator core: PoPs, compute nodes, links, switches, controller.

Nothing in this package knows about HTTP; the APIs live in emuvim.api.
"""
