#!/usr/bin/env python3
"""Summarise glukit_accuracy's sweep table: the largest error per variant,
dtype and ISA over all its rows (docs/ACCURACY.md, "Maxima").

usage: glukit_accuracy --stride N --samples M | tools/accuracy/maxima.py
"""
import sys


def main():
    order, best = [], {}
    for line in sys.stdin:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 9 or cells[0] in ("variant", "") or cells[0].startswith("-"):
            continue
        try:
            errs = [float(c) for c in cells[4:8]]
        except ValueError:
            continue
        key = tuple(cells[:3])
        if key not in best:
            order.append(key)
            best[key] = errs
        else:
            best[key] = [max(a, b) for a, b in zip(best[key], errs)]
    print("| variant | dtype | ISA | y | dv | dg | dg, no cancellation |")
    print("|---|---|---|---|---|---|---|")
    for key in order:
        print("| " + " | ".join(key) + " | " + " | ".join("%.3g" % e for e in best[key]) + " |")


if __name__ == "__main__":
    main()
