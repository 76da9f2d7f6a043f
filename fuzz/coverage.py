#!/usr/bin/env python3
"""Edge coverage of a fuzz corpus, split by whose code it is: medprep's own crates, each
dependency crate, the standard library.

libFuzzer's coverage count (`cov:`) mixes medprep's code with that of every Rust
dependency (dicom-rs, toml, serde ...), so a target can keep "finding edges" deep in a
parser it does not own while medprep's own code has long stopped gaining any. This
replays a corpus once (`-runs=0 -print_coverage=1`, which needs llvm-symbolizer on PATH)
and sums the covered edges per origin, so runs can be compared on medprep's code alone.

    RUSTC_BOOTSTRAP=1 cargo fuzz build decode
    python3 fuzz/coverage.py decode [CORPUS_DIR] [--top N] [--by-file]

CORPUS_DIR defaults to fuzz/corpus/TARGET. The binary is looked up in fuzz/target (or
$CARGO_TARGET_DIR) as cargo fuzz builds it. `--by-file` adds medprep's source files, each
with its covered edges, so a file the target reaches only thinly (a seed missing, a
format never built by mutation) stands out. Edges are counted by the function they are
in, inlined dependency code included; `new_lines.py` counts by source line instead.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from origins import medprep_file, origin

FUZZ = Path(__file__).resolve().parent
LINE = re.compile(r"^(?:UN)?COVERED_FUNC: hits: \d+ edges: (\d+)/(\d+) .* (\S+):\d+$")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target")
    parser.add_argument("corpus", nargs="?", type=Path)
    parser.add_argument("--top", type=int, default=8, help="dependencies listed by name")
    parser.add_argument("--by-file", action="store_true", help="medprep's files, one by one")
    args = parser.parse_args()
    corpus = args.corpus or FUZZ / "corpus" / args.target
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", FUZZ / "target"))
    binary = next(target_dir.glob(f"*/release/{args.target}"), None)
    if binary is None:
        sys.exit(f"no fuzz binary for {args.target} under {target_dir}: run cargo fuzz build first")
    run = subprocess.run([str(binary), "-runs=0", "-print_coverage=1", "-rss_limit_mb=2048",
                          "-timeout=10", str(corpus)], capture_output=True, text=True)
    covered, total = defaultdict(int), defaultdict(int)
    file_covered, file_total = defaultdict(int), defaultdict(int)
    for line in run.stderr.splitlines() + run.stdout.splitlines():
        match = LINE.match(line)
        if match:
            key = origin(match.group(3))
            covered[key] += int(match.group(1))
            total[key] += int(match.group(2))
            name = medprep_file(match.group(3))
            if name:
                file_covered[name] += int(match.group(1))
                file_total[name] += int(match.group(2))
    if not total:
        sys.exit(f"no coverage lines (is llvm-symbolizer on PATH?):\n{run.stderr[-2000:]}")
    ours = sorted(k for k in total if k.startswith("medprep"))
    theirs = sorted((k for k in total if not k.startswith("medprep")), key=lambda k: -covered[k])
    inputs = sum(1 for p in corpus.iterdir() if p.is_file())
    print(f"{args.target}: {inputs} inputs in {corpus}")
    print(f"{'origin':<28} {'covered edges':>14} {'of':>8}")
    for key in ours + theirs[:args.top]:
        print(f"{key:<28} {covered[key]:>14} {total[key]:>8}")
    rest = theirs[args.top:]
    print(f"{'(other dependencies)':<28} {sum(covered[k] for k in rest):>14} {sum(total[k] for k in rest):>8}")
    print(f"{'medprep, all crates':<28} {sum(covered[k] for k in ours):>14} {sum(total[k] for k in ours):>8}")
    if args.by_file:
        print(f"\n{'medprep file':<44} {'covered edges':>14} {'of':>8}")
        for name in sorted(file_total, key=lambda n: (-file_covered[n], -file_total[n], n)):
            print(f"{name:<44} {file_covered[name]:>14} {file_total[name]:>8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
