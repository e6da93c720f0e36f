"""Resource models from Paderborn University's vim-emu (same names, same arithmetic)."""
