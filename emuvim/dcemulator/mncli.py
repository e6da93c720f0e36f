"""The interactive Mininet CLI, with the node names the emulator uses.

Mininet's CLI takes the first word of a line as a node name only if it is
made of letters, digits and '_' (cmd.Cmd's identchars), so
``vnf0.vdu01.0 ifconfig`` (an LLCM container) or ``my-vnf ps`` was an
"Unknown command".  Here node names may contain '.' and '-' too, and tab
completes them, as a command and as an argument.
"""

from cmd import Cmd

from mininet.cli import CLI

NAME_CHARS = ".-"


class EmulatorCLI(CLI):
    identchars = Cmd.identchars + NAME_CHARS

    def preloop(self):
        # readline splits words at '-' (and some set ups at '.'): a node name
        # must reach the completer whole.
        self._saved_delims = None
        try:
            import readline
        except ImportError:
            return
        self._saved_delims = readline.get_completer_delims()
        readline.set_completer_delims("".join(
            ch for ch in self._saved_delims if ch not in NAME_CHARS))

    def postloop(self):
        if getattr(self, "_saved_delims", None) is not None:
            import readline
            readline.set_completer_delims(self._saved_delims)

    def node_names(self):
        return sorted(self.mn.nameToNode)

    def completenames(self, text, *ignored):
        """First word: a CLI command or a node name."""
        return Cmd.completenames(self, text, *ignored) + [
            name for name in self.node_names() if name.startswith(text)]

    def completedefault(self, text, line, begidx, endidx):
        """Later words: node names (the CLI replaces them with their IPs)."""
        return [name for name in self.node_names() if name.startswith(text)]
