"""The exactness figures for BENCHMARKS.md: the engine against finite differences and PyTorch.

Runs the exactness tests (tests/test_gradcheck_layers.py, test_layers_torch.py,
test_vgg16_torch.py) and prints, per check, the largest measured max abs and relative
error over its cases, as a Markdown table. The tests record those values with pytest's
record_property; this script only collects them (so the table and the tests cannot drift).

    python benchmarks/exactness.py            # about two minutes on 2 cores
    python benchmarks/exactness.py --quick    # without VGG16 (checks the script)
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = ["tests/test_gradcheck_layers.py", "tests/test_layers_torch.py", "tests/test_vgg16_torch.py"]
QUICK_FILES = FILES[:2] + ["tests/test_vgg16_torch.py::test_small_vgg_rules"]
TOKENS = ("float32", "float64", "auto", "im2col", "gradient", "deconvnet", "guided")


def run_tests(xml_path, files):
    """pytest on ``files`` (paths or node ids), its JUnit XML with the recorded properties at
    xml_path; its progress and summary go to stdout. Exits if a test fails (no table then)."""
    cmd = [sys.executable, "-m", "pytest", "-q", "--disable-warnings", "-p", "no:cacheprovider",
           "-o", "junit_family=legacy", f"--junitxml={xml_path}", *files]
    print("$ python -m pytest -q --disable-warnings " + " ".join(files), flush=True)
    done = subprocess.run(cmd, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"the tests failed (exit {done.returncode}); no table")


def collect(xml_path):
    """{(file, check, variant): {property: worst value}} from the JUnit XML."""
    worst = defaultdict(dict)
    for case in ET.parse(xml_path).iter("testcase"):
        name = case.get("name")
        check, _, params = name.partition("[")
        variant = " ".join(t for t in TOKENS if re.search(rf"\b{t}\b", params.replace("-", " ")))
        key = (case.get("classname").split(".")[-1], check, variant)
        for prop in case.iter("property"):
            value = float(prop.get("value"))
            worst[key][prop.get("name")] = max(value, worst[key].get(prop.get("name"), value))
    return worst


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="without VGG16 (checks the script)")
    args = parser.parse_args()
    print(f"command: python {' '.join(sys.argv)}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        xml_path = os.path.join(tmp, "exactness.xml")
        run_tests(xml_path, QUICK_FILES if args.quick else FILES)
        worst = collect(xml_path)
    print("\n| file | check | variant | quantity | max abs | max rel |\n|---|---|---|---|---|---|")
    for (module, check, variant), props in sorted(worst.items()):
        quantities = sorted({p.rsplit(" ", 1)[0] if " " in p else "" for p in props})
        for q in quantities:
            a, r = props.get(f"{q} abs".strip()), props.get(f"{q} rel".strip())
            if a is None and r is None:
                continue
            fmt = lambda v: "" if v is None else f"{v:.1e}"
            print(f"| {module} | {check} | {variant} | {q or 'all tensors'} | {fmt(a)} | {fmt(r)} |")
    for (module, check, variant), props in sorted(worst.items()):
        for p, v in props.items():
            if not (p.endswith(" abs") or p.endswith(" rel") or p in ("abs", "rel")):
                print(f"{module} {check} {variant}: {p} = {v:g}")


if __name__ == "__main__":
    main()
