"""A test run's figures beside the DeiT-LT paper's.

    python tools/analysis/compare_to_paper.py RESULTS_OR_WORK_DIR

RESULTS_OR_WORK_DIR: the file `tools/test.py CONFIG CHECKPOINT --out results.json`
wrote, or a folder holding exactly one. Prints our CLS / DIST / AVG (and TEACHER)
overall / head / mid / tail top-1 %, the paper's AVG for that config
(configs/deitlt/metafile.yml) and AVG minus the paper in percentage points. The paper
publishes AVG only.
"""
import argparse

from deitlt_mm.analysis.paper_comparison import compare_to_paper
from deitlt_mm.errors import exit_on_run_error


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('results', metavar='RESULTS_OR_WORK_DIR',
                        help='a tools/test.py --out file, or a folder holding one')
    return parser.parse_args(argv)


@exit_on_run_error()
def main(argv=None):
    print(compare_to_paper(parse_args(argv).results))


if __name__ == '__main__':
    main()
