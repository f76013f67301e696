#!/usr/bin/python3
# gen_benign_roles.py REPO_GIT_DIR PROMPTS_DIR OUT_DIR -- benign English
# "act as" requests ("I want you to act as a linux terminal..."), for the
# learned tier of the prompt-injection detector.
#
# Why: role play is how many jailbreaks start, and the permissive rows of
# PROMPTS_DIR have almost no benign role-play request, so the model learns
# "I want you to act as" itself as a sign of injection.
#
# Source: f/awesome-chatgpt-prompts, prompts.csv at commit
# a6d5275e03ee2849039d8e7672238887bd72c04d (2023-04-23; licence CC0-1.0, its
# LICENSE file at that commit), read from a bare clone REPO_GIT_DIR. Left
# out: every prompt with a word of a jailbreak (JAILBREAK below: a few ask
# the model to drop its rules, and no injection may be labelled benign), and
# every prompt equal to, or a near copy of (word 5-gram Jaccard >= 0.3), a
# text of PROMPTS_DIR's train or dev split. Split by SHA-256 of the text:
# one in five -> the eval file (reported only), the rest -> the train file.
# Deterministic. Standard library only.
import csv, hashlib, io, json, re, subprocess, sys

COMMIT = 'a6d5275e03ee2849039d8e7672238887bd72c04d'
JAILBREAK = ['dan', 'jailbreak', 'restriction', 'ignore', 'unfiltered', 'uncensored', 'no limits',
             'not bound', 'break character', 'anything now', 'illegal', 'unethical', 'immoral',
             'policy', 'policies', 'openai', 'chatgpt', 'developer mode', 'offensive', 'swear',
             'explicit', 'nsfw', 'any rules', 'no rules', 'filter', 'censor', 'harmful', 'evil']


def grams(t):
    w = re.findall(r'[a-z0-9]+', t.lower())
    return {tuple(w[i:i + 5]) for i in range(max(0, len(w) - 4))}


def known_index(prompts):
    """Word 5-grams of every text of PROMPTS_DIR's train and dev splits, an
    index from 5-gram to texts, and the texts themselves (case and white
    space folded)."""
    known, index, texts = [], {}, set()
    for split in ('train', 'dev'):
        for line in open(f'{prompts}/{split}.jsonl', encoding='utf-8'):
            t = json.loads(line)['text']
            texts.add(' '.join(t.lower().split()))
            known.append(grams(t))
    for i, g in enumerate(known):
        for x in g:
            index.setdefault(x, []).append(i)
    return (known, texts), index


def near_known(t, known, index):
    """t equals a known text, or shares word 5-grams with one (Jaccard >= 0.3)."""
    known, texts = known
    if ' '.join(t.lower().split()) in texts:
        return True
    g = grams(t)
    for i in {i for x in g for i in index.get(x, [])}:
        if len(g & known[i]) / len(g | known[i]) >= 0.3:
            return True
    return False


def main():
    repo, prompts, out = sys.argv[1:4]
    raw = subprocess.check_output(['git', '--git-dir', repo, 'show', f'{COMMIT}:prompts.csv'])
    lic = subprocess.check_output(['git', '--git-dir', repo, 'show', f'{COMMIT}:LICENSE'])
    assert b'CC0 1.0 Universal' in lic
    known, index = known_index(prompts)
    train, evalr, dropped = [], [], 0
    for row in csv.DictReader(io.StringIO(raw.decode('utf-8'))):
        t = ' '.join(row['prompt'].split())
        low = t.lower()
        if len(t) < 20 or any(re.search(r'\b' + re.escape(w) + r'\b', low) for w in JAILBREAK):
            dropped += 1
            continue
        if not grams(t) or near_known(t, known, index):
            dropped += 1
            continue
        h = hashlib.sha256(t.encode()).hexdigest()
        (evalr if int(h[:8], 16) % 5 == 0 else train).append((h, t))
    for rows, name in ((train, 'benign_roles_train.jsonl'), (evalr, 'benign_roles_eval.jsonl')):
        with open(f'{out}/{name}', 'w', encoding='utf-8') as f:
            for _, t in sorted(rows):
                f.write(json.dumps({'text': t, 'label': 0, 'source': 'awesome_chatgpt_prompts_roles',
                                    'lang': 'en'}, ensure_ascii=False) + '\n')
        print(f'{name}: {len(rows)} rows', file=sys.stderr)
    print(f'left out {dropped}; f/awesome-chatgpt-prompts @ {COMMIT}', file=sys.stderr)


if __name__ == '__main__':
    main()
