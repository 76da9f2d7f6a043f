#!/usr/bin/env python3
"""When a fuzz run last reached new code of medprep's own, from its log.

Run the fuzzer with `-print_pcs=1`: libFuzzer then prints a `NEW_PC` line, with the
source line it belongs to, for every code edge it reaches for the first time, and a
status line (`#EXECUTIONS ...`) after each new input. This counts, per slice of
executions after the corpus was loaded, the new edges on medprep's source lines (core/,
streaming/, python/, fuzz/) and on everyone's, and names the last few medprep lines reached.

    RUSTC_BOOTSTRAP=1 cargo fuzz run decode -- -print_pcs=1 ... 2>&1 | tee decode.log
    python3 fuzz/new_lines.py decode.log [--step EXECUTIONS]

A run that has gone a long stretch of executions without a new medprep line has
plateaued on medprep's code, whatever the dependencies still give (libFuzzer's `cov`
counts those too). An edge inlined from a dependency into medprep's code counts as the
dependency's: the source line decides, not the function.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

from origins import medprep_file

STATUS = re.compile(r"^#(\d+)\s")
SOURCE = re.compile(r" (\S+):\d+(?::\d+)?$")
def new_edges(lines: list[str]) -> list[tuple[int, str]]:
    """(executions when found, source file) of each edge first reached after the corpus
    was loaded. An edge is printed before the status line of the input that found it."""
    found, pending, loaded = [], [], False
    for line in lines:
        if "INITED" in line:
            loaded, pending = True, []
        elif "NEW_PC" in line:
            if loaded:
                source = SOURCE.search(line.rstrip())
                pending.append(source.group(1) if source else "?")
        elif (status := STATUS.match(line)) and pending:
            found += [(int(status.group(1)), path) for path in pending]
            pending = []
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("log", type=Path)
    parser.add_argument("--step", type=int, default=250_000, help="executions per row")
    args = parser.parse_args()
    lines = args.log.read_text(errors="replace").splitlines()
    found = new_edges(lines)
    if not found and not any("INITED" in line for line in lines):
        sys.exit(f"{args.log}: no INITED line; is it the output of a libFuzzer run?")
    ours = [(n, name) for n, path in found if (name := medprep_file(path))]
    every, mine = Counter(n // args.step for n, _ in found), Counter(n // args.step for n, _ in ours)
    last = max((n for n, _ in found), default=0)
    print(f"{'executions':<24} {'new edges':>10} {'on medprep lines':>17}")
    for row in range(last // args.step + 1):
        span = f"{row * args.step:,}-{(row + 1) * args.step:,}"
        print(f"{span:<24} {every[row]:>10} {mine[row]:>17}")
    print(f"\nlast new edges on medprep lines ({len(ours)} in all):")
    for n, path in ours[-5:]:
        print(f"  at {n:,}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
