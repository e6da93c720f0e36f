"""Helpers for tests written against vim-emu (``from emuvim.test.base import ...``)."""
