"""What every HTTP command group of `vim-emu` shares: option groups, one
request helper that turns any failure into a one-line error, output."""

import argparse
import json
import os
import pprint
import sys

import requests


class CliError(Exception):
    """A command failed; the message is the one line the user sees."""


def add_group(groups, name, help_text, endpoint):
    """A command group with its API endpoint and --json options."""
    parser = groups.add_parser(name, help=help_text)
    parser.add_argument("-e", "--endpoint", default=endpoint,
                        help="API base URL (default %s)" % endpoint)
    parser.add_argument("--json", action="store_true", help="print JSON")
    return parser


def add_command(commands, name, help_text):
    """A command; -e/--json may also follow it (vim-emu style)."""
    # SUPPRESS keeps the group-level values when they are not repeated here.
    parser = commands.add_parser(name, help=help_text)
    parser.add_argument("-e", "--endpoint", default=argparse.SUPPRESS, help="API base URL")
    parser.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                        help="print JSON")
    return parser


def run(args, handlers, default_endpoint):
    """Execute a parsed command with its handler; returns the process exit code."""
    endpoint = (getattr(args, "endpoint", None) or default_endpoint).rstrip("/")
    try:
        handlers[(args.group, args.command)](endpoint, args)
        return 0
    except CliError as err:
        print("error: %s" % err, file=sys.stderr)
        return 1


def call(method, url, **kwargs):
    """One HTTP request; its JSON (or text) body, or a CliError naming the problem.

    With $EMUVIM_API_TOKEN set, it is sent as the bearer token (what an API
    bound beyond loopback asks for)."""
    token = os.environ.get("EMUVIM_API_TOKEN")
    if token:
        kwargs["headers"] = dict(kwargs.get("headers") or {},
                                 Authorization="Bearer " + token)
    try:
        reply = requests.request(method, url, timeout=300, **kwargs)
    except requests.RequestException as err:
        raise CliError("cannot reach %s: %s" % (url, err.__class__.__name__)) from err
    try:
        body = reply.json()
    except ValueError:
        body = reply.text
    if reply.status_code >= 400:
        message = body.get("error") if isinstance(body, dict) else body
        raise CliError("%s %s: %s" % (reply.status_code, reply.reason, message))
    return body


def print_result(args, data):
    """Print a result: JSON with --json, else text or a pretty-printed structure."""
    if args.json:
        print(json.dumps(data, indent=2))
    elif isinstance(data, str):
        print(data)
    else:
        pprint.pprint(data)
