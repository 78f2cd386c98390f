"""Print the N-th shell command of the README's Quick start (1 = main job, 2 = tests).

CI runs exactly what the README tells a new user to run, so the two cannot drift apart.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path


def quick_start_commands(readme: str) -> list[str]:
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```(?:bash|sh)\n(.*?)```", section, re.S)]


def main() -> None:
    commands = quick_start_commands(Path(__file__).parents[1].joinpath("README.md").read_text())
    if len(commands) != 2:
        sys.exit(f"README Quick start must hold exactly two commands, found {len(commands)}")
    print(commands[int(sys.argv[1]) - 1])


if __name__ == "__main__":
    main()
