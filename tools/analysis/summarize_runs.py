"""Many test runs in one table and one per-class accuracy plot.

    python tools/analysis/summarize_runs.py RESULTS_OR_WORK_DIR... --out DIR [--paper]

Inputs: files written by `tools/test.py CONFIG CHECKPOINT --out results.json`, or
folders (work dirs) searched recursively for them (other JSON files are skipped).

Writes into DIR:
  runs.md              Markdown table, one row per run and prediction: run (the
                       file's path from the folder all inputs share), config (its
                       name), epoch (of the tested checkpoint), prediction (CLS, DIST,
                       AVG, TEACHER for a DeiT-LT student and its teacher; ACC for a
                       plain classifier), overall / head / mid / tail top-1 %.
                       With --paper, each config that is a paper setting
                       (configs/deitlt/deitlt_b_*.py) also gets one row `paper`, AVG,
                       with the paper's overall / head / mid / tail from
                       configs/deitlt/metafile.yml, after the rows of its last run
                       (once however many runs it has); other configs get none.
  runs.csv             the same rows, full precision (empty cell: no value).
  runs_per_class.png   per-class top-1 accuracy over the classes' training counts (log
                       scale, most frequent left), one colour per run, one line style
                       per prediction; running means over 20 classes beyond 100 classes.
                       No paper curves: the paper has no per-class figures.
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
    parser.add_argument('--paper', action='store_true',
                        help="add the paper's AVG row (configs/deitlt/metafile.yml) of each "
                             'paper-setting config to runs.md and runs.csv')
    return parser.parse_args(argv)


@exit_on_run_error()
def main(argv=None):
    args = parse_args(argv)
    written = summarize_runs(args.inputs, args.out, paper=args.paper)
    print(written['table'])
    if args.paper and not written['paper_configs']:
        print('no paper row: no run has a paper setting as its config (only '
              'configs/deitlt/deitlt_b_*.py have numbers in configs/deitlt/metafile.yml)')
    if written['left_out']:
        print('left out of the plot (no training counts in their results): '
              + ', '.join(written['left_out']))
    print(f'written: {written["markdown"]}, {written["csv"]}, {written["png"]}')


if __name__ == '__main__':
    main()
