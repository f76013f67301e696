#!/usr/bin/python3
# gen_benign_truthfulqa.py REPO_GIT_DIR PROMPTS_DIR OUT_DIR -- short benign
# English questions ("Why do veins appear blue?", "Are you conscious?"), for
# the learned tier of the prompt-injection detector.
#
# Why: the permissive benign rows of PROMPTS_DIR are mostly long tasks (math
# word problems, security-flavoured requests); short questions to a chat
# assistant, and questions about the assistant itself, are rare, and the
# model flagged some ("What, if anything, do you remember?").
#
# Source: TruthfulQA (Lin, Hilton, Evans; sylinrl/TruthfulQA, licence
# Apache-2.0), its TruthfulQA.csv (817 questions) as copied verbatim into
# benedictflorance/truthfulqa_experiments, datasets/TruthfulQA.csv at commit
# COMMIT below, read from a bare clone REPO_GIT_DIR; only the Question
# column. Left out as in gen_benign_roles.py: questions with a word of a
# jailbreak and near copies of PROMPTS_DIR's train or dev rows. Split by
# SHA-256 of the text: one in five -> the eval file, the rest -> the train
# file. Deterministic. Standard library only.
import csv, hashlib, io, json, os, re, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_benign_roles import JAILBREAK, known_index, near_known  # noqa: E402

COMMIT = '6fdfd38288e86296582a584694df5cf43d1f634a'
PATH = 'datasets/TruthfulQA.csv'
SOURCE = 'truthfulqa_questions'


def main():
    repo, prompts, out = sys.argv[1:4]
    raw = subprocess.check_output(['git', '--git-dir', repo, 'show', f'{COMMIT}:{PATH}'])
    rows = list(csv.DictReader(io.StringIO(raw.decode('utf-8'))))
    assert len(rows) == 817, len(rows)
    known, index = known_index(prompts)
    train, evalr, dropped, seen = [], [], 0, set()
    for row in rows:
        t = ' '.join(row['Question'].split())
        low = t.lower()
        if low in seen:
            continue
        seen.add(low)
        if any(re.search(r'\b' + re.escape(w) + r'\b', low) for w in JAILBREAK) or \
                near_known(t, known, index):
            dropped += 1
            continue
        h = hashlib.sha256(t.encode()).hexdigest()
        (evalr if int(h[:8], 16) % 5 == 0 else train).append((h, t))
    for part, name in ((train, 'benign_truthfulqa_train.jsonl'),
                       (evalr, 'benign_truthfulqa_eval.jsonl')):
        with open(f'{out}/{name}', 'w', encoding='utf-8') as f:
            for _, t in sorted(part):
                f.write(json.dumps({'text': t, 'label': 0, 'source': SOURCE, 'lang': 'en'},
                                   ensure_ascii=False) + '\n')
        print(f'{name}: {len(part)} rows', file=sys.stderr)
    print(f'left out {dropped}; TruthfulQA.csv @ {COMMIT}', file=sys.stderr)


if __name__ == '__main__':
    main()
