#!/usr/bin/env python3
# pi_loso_thresholds.py TRAWL WORK_DIR MODEL DEV.jsonl -- after tools/pi_loso.py
# (make eval-model-loso: WORK_DIR is build/model/loso), the model alone (no
# rule verdicts, no abstention) at a range of thresholds: the share of each
# held-out benign group that its held-out model flags, the share of all
# held-out injections, and MODEL's rates on DEV. Answers "what if the
# threshold were chosen on held-out sources instead of validation rows":
# where a held-out group's rate stops falling as the threshold rises, no
# threshold fixes it. Standard library only.
import os, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pi_loso

THRESHOLDS = [0.5, 0.9, 0.95, 0.971, 0.99, 0.995, 0.999, 0.9995, 0.9999]


def scores(trawl, model, files):
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        tsv = os.path.join(tmp, 'p.tsv')
        for f in files:
            subprocess.run([trawl, 'model', 'eval', '--scores', tsv, model, f], check=True,
                           stdout=subprocess.DEVNULL)
            for line in open(tsv, encoding='utf-8'):
                p, label, _ = line.rstrip('\n').split('\t')
                out.append((float(p), int(label)))
    return out


def rate(ps, t):
    return 100.0 * sum(p >= t for p in ps) / len(ps) if ps else 0.0


def main():
    trawl, work, model, dev = sys.argv[1:5]
    benign, injections = [], []
    for name, sources, files in pi_loso.GROUPS:
        tag = sources[0]
        m = os.path.join(work, tag + '-int8.tmodel')
        if not os.path.exists(m):
            continue
        files = [os.path.join(pi_loso.DATA, f) for f in files] if files else \
            [os.path.join(work, tag + '.jsonl')]
        sc = scores(trawl, m, files)
        if any(l == 0 for _, l in sc):
            benign.append((name, [p for p, l in sc if l == 0]))
        injections += [p for p, l in sc if l == 1]
    d = scores(trawl, model, [dev])
    db, di = [p for p, l in d if l == 0], [p for p, l in d if l == 1]
    print('held-out benign groups: ' + '; '.join('%d %s' % (i + 1, n) for i, (n, _) in enumerate(benign)))
    print('%-7s %s %9s %8s %8s' % ('p >=', ' '.join('%6d' % (i + 1) for i in range(len(benign))),
                                   'held inj', 'dev ben', 'dev inj'))
    for t in THRESHOLDS:
        print('%-7s %s %8.1f%% %7.2f%% %7.1f%%' % (t, ' '.join('%5.1f%%' % rate(ps, t) for _, ps in benign),
                                                  rate(injections, t), rate(db, t), rate(di, t)))


if __name__ == '__main__':
    main()
