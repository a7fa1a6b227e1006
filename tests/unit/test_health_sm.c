// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: tests of the health state machine
 *
 * Rise and fall, initial states, the pending flag, flapping (never more
 * transitions than rise/fall allow, checked against a brute-force model on
 * random sequences), threshold changes, and independence from the admin
 * state.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdlib.h>
#include <cmocka.h>

#include "health_sm.h"
#include "maps/xlb_maps.h"

/* Feed a string of results: '+' success, '-' failure. Returns last event. */
static enum xlb_hsm_event feed(struct xlb_hsm *m, const char *s)
{
	enum xlb_hsm_event ev = XLB_HSM_NONE;

	for (; *s; s++)
		ev = xlb_hsm_result(m, *s == '+');
	return ev;
}

static void test_rise_from_down(void **state)
{
	struct xlb_hsm m;

	(void)state;
	xlb_hsm_init(&m, XLB_HC_DOWN, 3, 2);
	assert_int_equal(m.state, XLB_HC_DOWN);
	assert_true(m.pending);
	assert_int_equal(xlb_hsm_result(&m, true), XLB_HSM_NONE);
	assert_int_equal(xlb_hsm_result(&m, true), XLB_HSM_NONE);
	assert_true(m.pending);
	assert_int_equal(m.state, XLB_HC_DOWN);
	assert_int_equal(xlb_hsm_result(&m, true), XLB_HSM_CHANGED);
	assert_int_equal(m.state, XLB_HC_UP);
	assert_false(m.pending);
	assert_int_equal(m.n_transitions, 1);
	/* more successes change nothing */
	assert_int_equal(feed(&m, "+++++"), XLB_HSM_NONE);
	assert_int_equal(m.n_transitions, 1);
	assert_int_equal(m.n_ok, 8);
}

static void test_fall_from_up(void **state)
{
	struct xlb_hsm m;

	(void)state;
	xlb_hsm_init(&m, XLB_HC_UP, 2, 3);
	assert_int_equal(feed(&m, "--"), XLB_HSM_NONE);
	assert_int_equal(m.state, XLB_HC_UP);
	assert_true(m.pending);
	assert_int_equal(xlb_hsm_result(&m, false), XLB_HSM_CHANGED);
	assert_int_equal(m.state, XLB_HC_DOWN);
	assert_false(m.pending);
	assert_int_equal(m.n_fail, 3);
}

/* A restart passes the previous state: an up backend stays up while the
 * first checks run, and their first verdict confirms it. */
static void test_initial_up_confirmed(void **state)
{
	struct xlb_hsm m;

	(void)state;
	xlb_hsm_init(&m, XLB_HC_UP, 2, 3);
	assert_int_equal(xlb_hsm_result(&m, true), XLB_HSM_NONE);
	assert_true(m.pending);
	assert_int_equal(m.state, XLB_HC_UP);
	assert_int_equal(xlb_hsm_result(&m, true), XLB_HSM_CONFIRMED);
	assert_false(m.pending);
	assert_int_equal(m.state, XLB_HC_UP);
	assert_int_equal(m.n_transitions, 0);
	/* confirmation is reported once */
	assert_int_equal(feed(&m, "++"), XLB_HSM_NONE);
}

static void test_initial_down_confirmed(void **state)
{
	struct xlb_hsm m;

	(void)state;
	xlb_hsm_init(&m, XLB_HC_DOWN, 2, 2);
	assert_int_equal(feed(&m, "+-"), XLB_HSM_NONE);
	assert_true(m.pending);
	assert_int_equal(xlb_hsm_result(&m, false), XLB_HSM_CONFIRMED);
	assert_false(m.pending);
	assert_int_equal(m.state, XLB_HC_DOWN);
}

/* One failure among successes never takes an up backend down (fall > 1). */
static void test_single_failure_tolerated(void **state)
{
	struct xlb_hsm m;

	(void)state;
	xlb_hsm_init(&m, XLB_HC_DOWN, 1, 2);
	assert_int_equal(xlb_hsm_result(&m, true), XLB_HSM_CHANGED);
	assert_int_equal(feed(&m, "+-+-+-++-+"), XLB_HSM_NONE);
	assert_int_equal(m.state, XLB_HC_UP);
	assert_int_equal(m.n_transitions, 1);
}

static void test_rise_fall_one(void **state)
{
	struct xlb_hsm m;

	(void)state;
	xlb_hsm_init(&m, XLB_HC_DOWN, 0, 0); /* 0 is taken as 1 */
	assert_int_equal(m.rise, 1);
	assert_int_equal(m.fall, 1);
	assert_int_equal(xlb_hsm_result(&m, true), XLB_HSM_CHANGED);
	assert_int_equal(xlb_hsm_result(&m, false), XLB_HSM_CHANGED);
	assert_int_equal(xlb_hsm_result(&m, true), XLB_HSM_CHANGED);
	assert_int_equal(m.n_transitions, 3);
}

/* Alternating results never reach rise=2 or fall=2: no transition, and
 * the machine stays pending because the checks never agreed. */
static void test_flapping_alternate(void **state)
{
	struct xlb_hsm m;
	int i;

	(void)state;
	xlb_hsm_init(&m, XLB_HC_UP, 2, 2);
	for (i = 0; i < 1000; i++)
		assert_int_equal(xlb_hsm_result(&m, i & 1), XLB_HSM_NONE);
	assert_int_equal(m.state, XLB_HC_UP);
	assert_true(m.pending);
	assert_int_equal(m.n_transitions, 0);
	assert_int_equal(m.n_ok, 500);
	assert_int_equal(m.n_fail, 500);
}

/*
 * Random sequences against the definition: a transition to up happens
 * exactly when the last `rise` results were successes and the state was
 * down, and to down symmetrically. So each transition is preceded by at
 * least rise (or fall) results since the previous one, and the count is
 * bounded by results / min(rise, fall).
 */
static void test_flapping_random(void **state)
{
	unsigned int seed = 12345;
	int trial;

	(void)state;
	for (trial = 0; trial < 200; trial++) {
		__u32 rise = 1 + rand_r(&seed) % 4,
		      fall = 1 + rand_r(&seed) % 4;
		enum xlb_hc_state init = rand_r(&seed) & 1;
		enum xlb_hc_state model = init;
		int n = 50 + rand_r(&seed) % 200, i, since = 0;
		int ok_run = 0, fail_run = 0, pct = rand_r(&seed) % 100;
		__u64 transitions = 0;
		struct xlb_hsm m;

		xlb_hsm_init(&m, init, rise, fall);
		for (i = 0; i < n; i++) {
			bool ok = (int)(rand_r(&seed) % 100) < pct;
			enum xlb_hsm_event ev = xlb_hsm_result(&m, ok);
			enum xlb_hc_state before = model;

			ok_run = ok ? ok_run + 1 : 0;
			fail_run = ok ? 0 : fail_run + 1;
			since++;
			if (ok_run >= (int)rise)
				model = XLB_HC_UP;
			if (fail_run >= (int)fall)
				model = XLB_HC_DOWN;
			assert_int_equal(m.state, model);
			if (model != before) {
				assert_int_equal(ev, XLB_HSM_CHANGED);
				assert_true(since >= (int)(model == XLB_HC_UP ?
								   rise :
								   fall));
				since = 0;
				transitions++;
			} else {
				assert_int_not_equal(ev, XLB_HSM_CHANGED);
			}
		}
		assert_int_equal(m.n_transitions, transitions);
		assert_true(transitions <=
			    (__u64)n / (rise < fall ? rise : fall));
	}
}

/* New thresholds keep state and runs; they apply at the next result. */
static void test_set_thresholds(void **state)
{
	struct xlb_hsm m;

	(void)state;
	xlb_hsm_init(&m, XLB_HC_DOWN, 5, 5);
	feed(&m, "+++");
	xlb_hsm_set_thresholds(&m, 2, 2);
	assert_int_equal(m.state, XLB_HC_DOWN);
	assert_int_equal(m.ok_run, 3);
	assert_int_equal(xlb_hsm_result(&m, true), XLB_HSM_CHANGED);
	assert_int_equal(m.state, XLB_HC_UP);
	/* raising fall in the middle of a failure run delays the drop */
	feed(&m, "-");
	xlb_hsm_set_thresholds(&m, 2, 3);
	assert_int_equal(xlb_hsm_result(&m, false), XLB_HSM_NONE);
	assert_int_equal(xlb_hsm_result(&m, false), XLB_HSM_CHANGED);
}

/*
 * The admin state is not an input of the machine: whatever the operator
 * does, results are counted the same way, and the combination never lets
 * checks override drain or down.
 */
static void test_admin_independent(void **state)
{
	struct xlb_hsm a, b;
	const char *seq = "++-+--+++---+";
	int admin;

	(void)state;
	/* The same results give the same machine, whatever admin state the
	 * controller applies in between (it has no way to touch it). */
	xlb_hsm_init(&a, XLB_HC_DOWN, 2, 2);
	xlb_hsm_init(&b, XLB_HC_DOWN, 2, 2);
	feed(&a, seq);
	for (const char *s = seq; *s; s++) {
		xlb_hsm_result(&b, *s == '+');
		admin = (s - seq) % 3;
		(void)xlb_hsm_be_state(admin, b.state);
	}
	assert_memory_equal(&a, &b, sizeof(a));

	assert_int_equal(xlb_hsm_be_state(XLB_ADMIN_UP, XLB_HC_UP), XLB_BE_UP);
	assert_int_equal(xlb_hsm_be_state(XLB_ADMIN_UP, XLB_HC_DOWN),
			 XLB_BE_REMOVED);
	assert_int_equal(xlb_hsm_be_state(XLB_ADMIN_DRAIN, XLB_HC_UP),
			 XLB_BE_DRAINING);
	assert_int_equal(xlb_hsm_be_state(XLB_ADMIN_DRAIN, XLB_HC_DOWN),
			 XLB_BE_REMOVED);
	assert_int_equal(xlb_hsm_be_state(XLB_ADMIN_DOWN, XLB_HC_UP),
			 XLB_BE_REMOVED);
	assert_int_equal(xlb_hsm_be_state(XLB_ADMIN_DOWN, XLB_HC_DOWN),
			 XLB_BE_REMOVED);
}

/* Runs saturate instead of wrapping after 2^32 successes. */
static void test_run_saturates(void **state)
{
	struct xlb_hsm m;

	(void)state;
	xlb_hsm_init(&m, XLB_HC_UP, 2, 2);
	m.ok_run = UINT32_MAX - 1;
	m.pending = false;
	assert_int_equal(xlb_hsm_result(&m, true), XLB_HSM_NONE);
	assert_int_equal(xlb_hsm_result(&m, true), XLB_HSM_NONE);
	assert_int_equal(m.ok_run, UINT32_MAX);
	assert_int_equal(m.state, XLB_HC_UP);
}

static void test_state_str(void **state)
{
	(void)state;
	assert_string_equal(xlb_hc_state_str(XLB_HC_UP), "up");
	assert_string_equal(xlb_hc_state_str(XLB_HC_DOWN), "down");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rise_from_down),
		cmocka_unit_test(test_fall_from_up),
		cmocka_unit_test(test_initial_up_confirmed),
		cmocka_unit_test(test_initial_down_confirmed),
		cmocka_unit_test(test_single_failure_tolerated),
		cmocka_unit_test(test_rise_fall_one),
		cmocka_unit_test(test_flapping_alternate),
		cmocka_unit_test(test_flapping_random),
		cmocka_unit_test(test_set_thresholds),
		cmocka_unit_test(test_admin_independent),
		cmocka_unit_test(test_run_saturates),
		cmocka_unit_test(test_state_str),
	};

	return cmocka_run_group_tests_name("health_sm", tests, NULL, NULL);
}
