"""Errors in the user's terms. A method's message names what a Python caller passes
("use octaves=1", "give mapping=", "Unit('block5_pool', 7)"); the command line has options
for those. in_cli_terms() says them as the command line does, for the options the command has:

    name=VALUE  ->  --name VALUE      (name: an option of the command, '_' written '-', or
    name=       ->  --name             ALIASES: net= is --model, mapping= is --map)
    top_k       ->  --top-k            (a parameter's name with an underscore, as a word)
    Unit('L', c[, i, j])  ->  L:c[:i:j]

and the few phrases a command words otherwise (PHRASES). The commands check what they can in
their own words before any work (commands/options.py, commands/session.py); this is for what
only a method can find out.
"""
import argparse
import re

PHRASES = {  # command: [(what a method says, what the command line calls it)]
    "gradcheck": [("use a larger image", "use a larger --size")],
}
ALIASES = {"net": "model", "mapping": "map", "download_missing": "download"}  # Python name: option dest
UNIT = re.compile(r"Unit\('([^']+)', (-?\d+)(?:, (-?\d+), (-?\d+))?\)")
ASSIGNED = re.compile(r"\b([a-z][a-z0-9_]*)=(?!=)('[^']*'|\"[^\"]*\"|\([^)]*\)|[\w.+-]+)?")
WORD = re.compile(r"(?<![\w'-])([a-z][a-z0-9]*_[a-z0-9_]+)(?![\w'(-])")  # top_k, blur_every; not 'block1_conv1'



def options_of(parser):
    """{dest: option string} of every optional argument of ``parser`` and its subcommands."""
    found = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found.update(options_of(sub))
        elif action.option_strings:
            longest = max(action.option_strings, key=len)
            found.setdefault(action.dest, longest)
            found.setdefault(longest.lstrip("-").replace("-", "_"), longest)
    return found


def command_parser(parser, command):
    """The subparser of ``command`` in the top-level ``parser`` (the parser itself if none)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return parser


def in_cli_terms(message, parser, command):
    """``message`` with the Python names of parameters that ``command`` (of the top-level
    ``parser``) has as options written as those options; units written as --target takes them."""
    options = options_of(command_parser(parser, command))

    def option(match):
        name, value = match.group(1), match.group(2)
        name = name if name in options else ALIASES.get(name)
        if name not in options:
            return match.group(0)
        if value is None or value == "True":
            return options[name]
        value = value.strip("'\"")
        if value.startswith("(") and value.endswith(")"):
            value = " ".join(v.strip() for v in value[1:-1].split(",") if v.strip())
        return f"{options[name]} {value}"

    text = UNIT.sub(lambda m: ":".join(v for v in m.groups() if v is not None), message)
    text = ASSIGNED.sub(option, text)
    text = WORD.sub(lambda m: options.get(m.group(1), m.group(1)), text)
    for said, meant in PHRASES.get(command, ()):
        text = text.replace(said, meant)
    return text
