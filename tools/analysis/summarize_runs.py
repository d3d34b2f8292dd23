"""Many test runs in one table and one per-class accuracy plot.

    python tools/analysis/summarize_runs.py RESULTS_OR_WORK_DIR... --out DIR

Inputs: files written by `tools/test.py CONFIG CHECKPOINT --out results.json`, or
folders (work dirs) searched recursively for them (other JSON files are skipped).

Writes into DIR:
  runs.md              Markdown table, one row per run and prediction: run (the
                       file's path from the folder all inputs share), config (its
                       name), epoch (of the tested checkpoint), prediction (CLS, DIST,
                       AVG, TEACHER for a DeiT-LT student and its teacher; ACC for a
                       plain classifier), overall / head / mid / tail top-1 %.
  runs.csv             the same rows, full precision (empty cell: no value).
  runs_per_class.png   per-class top-1 accuracy over the classes' training counts (log
                       scale, most frequent left), one colour per run, one line style
                       per prediction; running means over 20 classes beyond 100 classes.
The table is printed too.
"""
import argparse

from deitlt_mm.analysis.run_summary import summarize_runs
from deitlt_mm.errors import exit_on_run_error


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('inputs', nargs='+', metavar='RESULTS_OR_WORK_DIR',
                        help='tools/test.py --out files or folders holding them')
    parser.add_argument('--out', required=True,
                        help='folder for runs.md, runs.csv and runs_per_class.png')
    return parser.parse_args(argv)


@exit_on_run_error()
def main(argv=None):
    args = parse_args(argv)
    written = summarize_runs(args.inputs, args.out)
    print(written['table'])
    if written['left_out']:
        print('left out of the plot (no training counts in their results): '
              + ', '.join(written['left_out']))
    print(f'written: {written["markdown"]}, {written["csv"]}, {written["png"]}')


if __name__ == '__main__':
    main()
