"""config/tracker.yaml and the parameter table of docs/node-and-parameters.md, generated from
the node's settings (``params.GROUPS``). The test suite fails when a committed copy differs;
``python -m siamcar_ros.ros.parameter_docs --write`` brings both up to date."""
from __future__ import annotations

import argparse
import json
import textwrap
from pathlib import Path
from typing import Any

from siamcar_ros.ros.params import GROUPS
from siamcar_ros.tracking.settings import CONFIGURE, Setting

ROOT = Path(__file__).resolve().parents[2]
YAML_PATH = ROOT / "config" / "tracker.yaml"
DOC_PATH = ROOT / "docs" / "node-and-parameters.md"
TABLE_START, TABLE_END = "<!-- parameters:start -->", "<!-- parameters:end -->"

_YAML_HEADER = """\
# Parameters of the siamcar_tracker lifecycle node, every one with its default. Generated from
# the settings in the code: python -m siamcar_ros.ros.parameter_docs --write
# live parameters may change at run time (ros2 param set) and apply from the next frame;
# configure parameters are read at configure and refused while the node holds a model:
# deactivate + cleanup, change them, then configure again.
/**:
  ros__parameters:
"""


def yaml_value(value: Any) -> str:
    """A YAML scalar that reads back as the same Python value and type."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def _comment(setting: Setting) -> list[str]:
    text = f"({setting.applies}) {setting.summary()}"
    return textwrap.wrap(text, width=92, initial_indent="    # ", subsequent_indent="    #   ")


def yaml_text() -> str:
    lines = [_YAML_HEADER.rstrip("\n")]
    for title, settings in GROUPS:
        lines.append(f"\n    # --- {title} ---")
        for setting in settings:
            lines += _comment(setting)
            lines.append(f"    {setting.name}: {yaml_value(setting.parameter_default)}")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown_table() -> str:
    rows = ["| parameter | default | changes | meaning |", "| --- | --- | --- | --- |"]
    for title, settings in GROUPS:
        rows.append(f"| **{title}** | | | |")
        for setting in settings:
            changes = "configure" if setting.applies == CONFIGURE else "live"
            rows.append(f"| `{setting.name}` | `{yaml_value(setting.parameter_default)}` | {changes} | "
                        f"{_cell(setting.summary())} |")
    return "\n".join(rows) + "\n"


def document_with_table(document: str) -> str:
    """``document`` with the text between the table markers replaced by the generated table."""
    start, end = document.index(TABLE_START) + len(TABLE_START), document.index(TABLE_END)
    return document[:start] + "\n" + markdown_table() + document[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the committed copies")
    args = parser.parse_args(argv)
    documented = document_with_table(DOC_PATH.read_text())
    stale = [path for path, text in ((YAML_PATH, yaml_text()), (DOC_PATH, documented))
             if path.read_text() != text]
    if args.write:
        YAML_PATH.write_text(yaml_text())
        DOC_PATH.write_text(documented)
        print("written:", ", ".join(str(path) for path in (YAML_PATH, DOC_PATH)))
        return 0
    print("up to date" if not stale else "out of date: " + ", ".join(map(str, stale)))
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
