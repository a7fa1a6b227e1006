/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: health state machine
 *
 * The verdict of one probe, kept apart from any I/O so it can be tested on
 * its own: a stream of check results (success or failure) goes in, a state
 * (up or down) comes out. A backend goes up after @rise consecutive
 * successes and down after @fall consecutive failures; anything in between
 * keeps the current state, so a flapping backend changes state at most once
 * per @rise (or @fall) results.
 *
 * The machine starts in a state chosen by its creator: xlbd passes the
 * backend's previous state when it restarts, so a restart never takes a
 * working backend out of service while the first checks run. Until the
 * checks themselves have reached a verdict (@rise successes or @fall
 * failures in a row since creation) the machine is "pending": the state is
 * the one it was given, not one the checks have confirmed. The controller
 * uses this to hold back announcements until the first checks have passed.
 *
 * The operator's admin state (up/drain/down) is not an input: checks keep
 * running and counting whatever the operator does, and the data-path state
 * combines the two (xlb_hsm_be_state()).
 */
#ifndef XLB_HEALTH_SM_H
#define XLB_HEALTH_SM_H

#include <stdbool.h>
#include <linux/types.h>

#include "config.h"

/* enum xlb_hc_state - what the checks say about a backend */
enum xlb_hc_state {
	XLB_HC_DOWN = 0,
	XLB_HC_UP = 1,
};

/**
 * struct xlb_hsm - the state machine of one probe
 * @state: current state
 * @pending: no verdict from the checks yet; @state is the initial one
 * @rise: consecutive successes that bring a down backend up (>= 1)
 * @fall: consecutive failures that take an up backend down (>= 1)
 * @ok_run: consecutive successes up to now
 * @fail_run: consecutive failures up to now
 * @n_ok: successes since creation
 * @n_fail: failures since creation
 * @n_transitions: state changes since creation
 */
struct xlb_hsm {
	enum xlb_hc_state state;
	bool pending;
	__u32 rise;
	__u32 fall;
	__u32 ok_run;
	__u32 fail_run;
	__u64 n_ok;
	__u64 n_fail;
	__u64 n_transitions;
};

/* enum xlb_hsm_event - what one result did to the machine */
enum xlb_hsm_event {
	XLB_HSM_NONE = 0, /* nothing visible changed */
	XLB_HSM_CONFIRMED, /* first verdict, same state as the initial one */
	XLB_HSM_CHANGED, /* state changed (may also end pending) */
};

/**
 * xlb_hsm_init() - start a machine
 * @m: the machine
 * @initial: state to start in (the backend's previous state, or down)
 * @rise: successes to go up; 0 is taken as 1
 * @fall: failures to go down; 0 is taken as 1
 */
void xlb_hsm_init(struct xlb_hsm *m, enum xlb_hc_state initial, __u32 rise,
		  __u32 fall);

/**
 * xlb_hsm_set_thresholds() - new rise/fall, state and runs kept
 *
 * The new thresholds apply from the next result on: a run that already
 * reaches them takes effect then, not now, so a config change alone never
 * changes a state.
 */
void xlb_hsm_set_thresholds(struct xlb_hsm *m, __u32 rise, __u32 fall);

/**
 * xlb_hsm_result() - feed one check result
 * @m: the machine
 * @ok: the check passed
 *
 * Return: enum xlb_hsm_event.
 */
enum xlb_hsm_event xlb_hsm_result(struct xlb_hsm *m, bool ok);

/** xlb_hc_state_str() - "up" or "down" */
const char *xlb_hc_state_str(enum xlb_hc_state s);

/**
 * xlb_hsm_be_state() - the data-path state of a backend (enum xlb_be_state)
 * @admin: operator state (enum xlb_admin_state)
 * @health: what the checks say
 *
 * Checks never override the operator: a drained backend stays out of the
 * ring and a downed one stays removed whatever the checks say. A backend
 * whose checks fail is removed even when drained, because the flows that
 * draining keeps would go to a backend that no longer answers; re-hashed,
 * they at least get a reset from a live one.
 */
int xlb_hsm_be_state(enum xlb_admin_state admin, enum xlb_hc_state health);

#endif /* XLB_HEALTH_SM_H */
