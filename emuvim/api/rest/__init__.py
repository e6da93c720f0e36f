"""The vim-emu REST API (compute, datacenter, network) on FastAPI."""
