"""APIs layered on top of the emulator core (each in its own subpackage)."""
