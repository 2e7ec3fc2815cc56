"""Compare pickle scanners on the test corpus (tests/support/model_corpus.py): recall on the
malicious samples, false positives on the benign ones. Not a test: the scanners compared are not
all dependencies of cspm. Run it in an environment where they are installed:

    uv venv /tmp/scanners && uv pip install --python /tmp/scanners/bin/python picklescan fickling modelscan
    PYTHONPATH=. /tmp/scanners/bin/python bench/artifact_scanners.py   # every scanner that imports, and cspm
    .venv/bin/python bench/artifact_scanners.py --cspm                  # cspm's inspection only

Each scanner is given every sample file through its own file entry point. A sample counts as
flagged when the scanner reports a dangerous import or an unsafe verdict (picklescan: an issue;
fickling: severity above LIKELY_SAFE; modelscan: an issue). Nothing is ever unpickled.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def corpus() -> object:
    spec = importlib.util.spec_from_file_location("model_corpus", ROOT / "tests" / "support" / "model_corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _picklescan(path: Path) -> bool:
    from picklescan.scanner import scan_file_path

    return scan_file_path(str(path)).issues_count > 0


def _fickling(path: Path) -> bool:
    import zipfile

    import fickling
    from fickling.analysis import Severity

    if zipfile.is_zipfile(path):
        results = fickling.scan_zip_archive(str(path), graceful=True).values()
    else:
        results = [fickling.scan_file(str(path), graceful=True)]
    return any(r.severity > Severity.LIKELY_SAFE for r in results)


def _modelscan(path: Path) -> bool:
    from modelscan.modelscan import ModelScan

    report = ModelScan().scan(path)
    return bool(report["summary"]["total_issues"])


def _cspm(path: Path) -> bool:
    from cspm.artifacts.inspect import Limits, inspect_file

    with path.open("rb") as f:
        result = inspect_file(f, path.name, Limits())
    return bool(result.dangerous)


def _importable(name: str) -> bool:
    module = {"cspm": "cspm.artifacts.inspect"}.get(name, name)
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


SCANNERS: dict[str, Callable[[Path], bool]] = {
    "picklescan": _picklescan,
    "fickling": _fickling,
    "modelscan": _modelscan,
    "cspm": _cspm,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cspm", action="store_true", help="measure cspm's own inspection only")
    sys.path.insert(0, str(ROOT))
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    mod = corpus()
    names = ["cspm"] if args.cspm else [n for n in SCANNERS if _importable(n)]
    samples = [(True, n, f, d) for n, (f, d) in mod.MALICIOUS.items()] + [  # type: ignore[attr-defined]
        (False, n, f, d)
        for n, (f, d) in mod.BENIGN.items()  # type: ignore[attr-defined]
    ]
    rows: dict[str, dict[str, str]] = {}
    totals = {n: {"tp": 0, "fp": 0, "err": 0, "seconds": 0.0} for n in names}
    with tempfile.TemporaryDirectory(prefix="cspm-corpus-") as tmp:
        for i, (malicious, sample, filename, data) in enumerate(samples):
            path = Path(tmp) / str(i) / filename
            path.parent.mkdir()
            path.write_bytes(data)
            for name in names:
                started = time.perf_counter()
                try:
                    flagged = SCANNERS[name](path)
                    cell = "flagged" if flagged else "-"
                except Exception as exc:  # a scanner that fails on a sample: counted, shown
                    flagged, cell = False, f"error ({type(exc).__name__})"
                    totals[name]["err"] += 1
                totals[name]["seconds"] += time.perf_counter() - started
                totals[name]["tp" if malicious else "fp"] += int(flagged)
                rows.setdefault(f"{'malicious' if malicious else 'benign'}: {sample} ({filename})", {})[name] = cell
    n_bad = sum(1 for s in samples if s[0])
    n_good = len(samples) - n_bad
    print("| sample | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for sample, cells in rows.items():
        print(f"| {sample} | " + " | ".join(cells[n] for n in names) + " |")
    print(f"| **recall** ({n_bad} malicious) | " + " | ".join(f"{totals[n]['tp']}/{n_bad}" for n in names) + " |")
    false_positives = " | ".join(f"{totals[n]['fp']}/{n_good}" for n in names)
    print(f"| **false positives** ({n_good} benign) | {false_positives} |")
    print("| errors | " + " | ".join(str(totals[n]["err"]) for n in names) + " |")
    print("| seconds (whole corpus) | " + " | ".join(f"{totals[n]['seconds']:.2f}" for n in names) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
