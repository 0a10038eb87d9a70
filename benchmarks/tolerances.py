"""The agreement of the methods with Captum, pytorch-grad-cam's and the authors' definitions and
torch autograd, for BENCHMARKS.md: tolerance and measured difference, per check.

Runs the method reference tests and prints, per test and quantity, the tolerance the test
asserts and the largest difference it measured over its cases (parameters, images, rules).
The tests record both with conftest.agreement (pytest's record_property: ``name`` and
``name tol``); this script only collects them, so the table and the tests cannot drift.

    python benchmarks/tolerances.py            # a few minutes on 2 cores (VGG16 in float32 and float64)
    python benchmarks/tolerances.py --quick    # without VGG16 (checks the script)
"""
import argparse
import os
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import defaultdict

from exactness import run_tests

FILES = ["tests/test_methods_captum_small.py", "tests/test_methods_cam_references.py",
         "tests/test_units_actmax.py", "tests/test_methods_captum_vgg16.py"]
QUICK_FILES = FILES[:3]


def collect(xml_path):
    """{(file, test): {quantity: [tolerance, worst measured, cases]}} from the JUnit XML."""
    found = defaultdict(dict)
    for case in ET.parse(xml_path).iter("testcase"):
        props = {p.get("name"): float(p.get("value")) for p in case.iter("property")}
        key = (case.get("classname").split(".")[-1], case.get("name").partition("[")[0])
        for name, tol in props.items():
            if not name.endswith(" tol"):
                continue
            quantity = name[:-len(" tol")]
            entry = found[key].setdefault(quantity, [tol, props[quantity], 0])
            entry[0] = max(entry[0], tol)
            entry[1] = max(entry[1], props[quantity])
            entry[2] += 1
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="without VGG16 (checks the script)")
    args = parser.parse_args()
    print(f"command: python {' '.join(sys.argv)}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        xml_path = os.path.join(tmp, "tolerances.xml")
        run_tests(xml_path, QUICK_FILES if args.quick else FILES)
        found = collect(xml_path)
    print("\n| file | test | quantity | tolerance | measured (worst) | cases |\n|---|---|---|---|---|---|")
    for (module, test), quantities in found.items():
        for quantity, (tol, worst, cases) in quantities.items():
            print(f"| {module} | {test} | {quantity} | {tol:.0e} | {worst:.1e} | {cases} |")


if __name__ == "__main__":
    main()
