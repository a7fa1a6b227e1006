// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: health state machine (see health_sm.h)
 *
 * Pure functions over struct xlb_hsm: no clock, no I/O, no allocation.
 */
#include <stdint.h>

#include "health_sm.h"
#include "maps/xlb_maps.h"

void xlb_hsm_init(struct xlb_hsm *m, enum xlb_hc_state initial, __u32 rise,
		  __u32 fall)
{
	*m = (struct xlb_hsm){
		.state = initial == XLB_HC_UP ? XLB_HC_UP : XLB_HC_DOWN,
		.pending = true,
	};
	xlb_hsm_set_thresholds(m, rise, fall);
}

void xlb_hsm_set_thresholds(struct xlb_hsm *m, __u32 rise, __u32 fall)
{
	m->rise = rise ? rise : 1;
	m->fall = fall ? fall : 1;
}

enum xlb_hsm_event xlb_hsm_result(struct xlb_hsm *m, bool ok)
{
	enum xlb_hc_state verdict;
	bool was_pending = m->pending;

	if (ok) {
		m->n_ok++;
		m->fail_run = 0;
		/* Saturate: a backend up for years must not wrap to 0. */
		if (m->ok_run < UINT32_MAX)
			m->ok_run++;
		if (m->ok_run < m->rise)
			return XLB_HSM_NONE;
		verdict = XLB_HC_UP;
	} else {
		m->n_fail++;
		m->ok_run = 0;
		if (m->fail_run < UINT32_MAX)
			m->fail_run++;
		if (m->fail_run < m->fall)
			return XLB_HSM_NONE;
		verdict = XLB_HC_DOWN;
	}

	m->pending = false;
	if (verdict != m->state) {
		m->state = verdict;
		m->n_transitions++;
		return XLB_HSM_CHANGED;
	}
	return was_pending ? XLB_HSM_CONFIRMED : XLB_HSM_NONE;
}

const char *xlb_hc_state_str(enum xlb_hc_state s)
{
	return s == XLB_HC_UP ? "up" : "down";
}

int xlb_hsm_be_state(enum xlb_admin_state admin, enum xlb_hc_state health)
{
	if (admin == XLB_ADMIN_DOWN || health != XLB_HC_UP)
		return XLB_BE_REMOVED;
	if (admin == XLB_ADMIN_DRAIN)
		return XLB_BE_DRAINING;
	return XLB_BE_UP;
}
