#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""tests/unit/core_mutants.py - does test_core.c catch a broken ordering?

Each mutant below breaks one ordering userspace/xlbd/core.c promises (a
step skipped or moved). For each, core.c is rewritten, test_core rebuilt
and run; the mutant must make at least one case fail. core.c is restored
afterwards (also on error or Ctrl-C). Run by hand after changing core.c or
test_core.c (make all first); exit status 1 if a mutant survives or no
longer applies (update its text here).

Usage: tests/unit/core_mutants.py   (BUILD=build)
"""
import os
import subprocess
import sys

os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))
BUILD = os.environ.get('BUILD', 'build')
CORE = 'userspace/xlbd/core.c'

muts = {
 'ring-before-gaining-backends': ('''	/* 1. backends that gain usability (and unchanged ones: cheap, and
	 * it carries next-hop updates) */
	for (i = 0; i < v->n_bes; i++) {''', '''	/* MUTANT: step 1 skipped here, done after the ring */
	for (i = 0; 0 && i < v->n_bes; i++) {''', '''	/* 3. backends that lose usability */''', '''	for (i = 0; i < v->n_bes; i++) {
		struct be_rt *b = v->bes[i];
		__u8 s = be_want_state(b);

		if (state_rank(s) >= state_rank(b->dp_state)) {
			err = be_write(d, b, s);
			if (err)
				return err;
		}
	}
	/* 3. backends that lose usability */'''),
 'losing-backends-before-ring': ('''	/* 2. the ring, if it or the VIP entry changed */''', '''	for (i = 0; i < v->n_bes; i++) {
		struct be_rt *b = v->bes[i];
		__u8 s = be_want_state(b);

		if (state_rank(s) < state_rank(b->dp_state)) {
			err = be_write(d, b, s);
			if (err)
				return err;
		}
	}
	/* 2. the ring, if it or the VIP entry changed */'''),
 'forget-before-removed-write': ('''	if (b->dp_state != XLB_BE_REMOVED)
		be_write(d, b, XLB_BE_REMOVED);
	tell_be(d, BE_FORGET, b);''', '''	tell_be(d, BE_FORGET, b);
	if (b->dp_state != XLB_BE_REMOVED)
		be_write(d, b, XLB_BE_REMOVED);'''),
 'no-rollback': ('''			r2 = apply(d, old);
			r2 = r2 ?: set_markers(d, next);''', '''			r2 = 0;'''),
 'save-before-apply': ('''	r = core_apply(d, next, err, errlen); /* takes @next */
	next = NULL;
	if (r)
		goto out;
	/* the operator's file is never written: the change is recorded as
	 * an override in the state file, once the data path has taken it */
	if (d->file_cfg) {
		r = state_save(d, d->file_cfg, d->cfg, err, errlen);
		if (r) {
			unapply(d, old_copy, err, errlen);
			old_copy = NULL;
			goto out;
		}
	}''', '''	if (d->file_cfg) {
		r = state_save(d, d->file_cfg, next, err, errlen);
		if (r)
			goto fail;
	}
	r = core_apply(d, next, err, errlen); /* takes @next */
	next = NULL;
	if (r) {
		if (d->file_cfg && state_save(d, d->file_cfg, old_copy, NULL, 0))
			pr_err("could not restore the state file");
		goto out;
	}'''),
 'no-unapply-on-save-failure': ('''			unapply(d, old_copy, err, errlen);
			old_copy = NULL;
			goto out;''', '''			goto out;'''),
 'servable-ignores-dp-health': ('''		s = d->dp_attached && d->dp_ok && !pending &&''', '''		s = d->dp_attached && !pending &&'''),
}
a2 = '''	err = core_sync_vip(d, v);
	if (!err && created)'''
b2 = '''	for (i = 0; i < n_gone; i++)
		be_release(d, gone[i]);
	n_gone = 0;
	err = core_sync_vip(d, v);
	if (!err && created)'''
muts['gone-backends-released-before-ring'] = (a2, b2)
a3 = '''	for (i = 0; i < v->n_bes; i++)
		be_release(d, v->bes[i]);
	v->n_bes = 0;
	for (i = 0; i < d->n_mods; i++)
		if (d->mods[i].vip_gone)
			d->mods[i].vip_gone(d->mods[i].ctx, v);'''
b3 = '''	for (i = 0; i < d->n_mods; i++)
		if (d->mods[i].vip_gone)
			d->mods[i].vip_gone(d->mods[i].ctx, v);
	for (i = 0; i < v->n_bes; i++)
		be_release(d, v->bes[i]);
	v->n_bes = 0;'''
muts['modules-told-before-backends-removed'] = (a3, b3)
a4 = '''	err = d->dp_ops->vip_del(d->dp_ctx, &v->cfg.addr, v->cfg.port,
				 v->cfg.proto);
	if (err && err != -ENOENT)
		pr_warn("vip %s: delete: %s", v->name, strerror(-err));
	for (i = 0; i < v->n_bes; i++)
		be_release(d, v->bes[i]);'''
b4 = '''	for (i = 0; i < v->n_bes; i++)
		be_release(d, v->bes[i]);
	err = d->dp_ops->vip_del(d->dp_ctx, &v->cfg.addr, v->cfg.port,
				 v->cfg.proto);
	if (err && err != -ENOENT)
		pr_warn("vip %s: delete: %s", v->name, strerror(-err));'''
muts['backends-removed-before-vip-entry'] = (a4, b4)


def run():
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT='TAP')
    r = subprocess.run([BUILD + '/tests/unit/test_core'], env=env,
                       capture_output=True, text=True)
    return [l for l in r.stdout.splitlines() if l.startswith('not ok')]


def main():
    good = open(CORE).read()
    survived = 0
    try:
        for name, m in muts.items():
            s = good
            for a, b in zip(m[0::2], m[1::2]):
                if s.count(a) != 1:
                    print('mutant %s: no longer applies' % name)
                    survived += 1
                    break
                s = s.replace(a, b)
            else:
                open(CORE, 'w').write(s)
                subprocess.run(['make', '-s', BUILD + '/tests/unit/test_core'],
                               check=True)
                failed = run()
                print('mutant %s: %s' % (name, ', '.join(
                    f.split(' - ')[1] for f in failed) or 'SURVIVED'))
                survived += not failed
    finally:
        open(CORE, 'w').write(good)
        subprocess.run(['make', '-s', BUILD + '/tests/unit/test_core'])
    print('%d mutants, %d survived' % (len(muts), survived))
    return 1 if survived else 0


if __name__ == '__main__':
    sys.exit(main())
