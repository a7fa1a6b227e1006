/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: TAP output of the packet suites
 *
 * One line per case, "ok - what" or "not ok - what", followed by the
 * diagnostics the case collected with pkt_diag() as "# " lines (tests/run.sh
 * shows the "# " lines that follow a failure). tap_done() prints the plan
 * and turns the tally into an exit code.
 */
#ifndef XLB_TESTS_TAP_H
#define XLB_TESTS_TAP_H

#include <stdbool.h>

/**
 * tap_result() - report one case and flush its diagnostics
 * @ok: the case passed
 * @fmt: description
 *
 * Return: 0 if @ok, -1 otherwise.
 */
int tap_result(bool ok, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** tap_skip() - report a case the machine cannot run */
void tap_skip(const char *why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/** tap_done() - print the plan; return the exit code (1 if any failed) */
int tap_done(void);

#endif /* XLB_TESTS_TAP_H */
