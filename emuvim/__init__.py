"""emuvim: emulate multi-PoP NFV infrastructures on one Linux machine."""

__version__ = "0.1.0"
