// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: TAP output of the packet suites
 *
 * See tap.h. Diagnostics are printed after the result line so that the
 * test runner, which shows what follows a "not ok" line, shows them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pkt.h"
#include "tap.h"

static int n_run, n_failed;

static void flush_diag(void)
{
	const char *d = pkt_diag_buf(), *nl;

	while (*d) {
		nl = strchr(d, '\n');
		if (!nl)
			nl = d + strlen(d);
		printf("# %.*s\n", (int)(nl - d), d);
		d = *nl ? nl + 1 : nl;
	}
	pkt_diag_clear();
}

int tap_result(bool ok, const char *fmt, ...)
{
	va_list ap;

	n_run++;
	if (!ok)
		n_failed++;
	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!ok)
		flush_diag();
	else
		pkt_diag_clear();
	fflush(stdout);
	return ok ? 0 : -1;
}

void tap_skip(const char *why, const char *fmt, ...)
{
	va_list ap;

	n_run++;
	printf("ok - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
	pkt_diag_clear();
	fflush(stdout);
}

int tap_done(void)
{
	printf("1..%d\n", n_run);
	if (n_failed)
		printf("# %d of %d failed\n", n_failed, n_run);
	fflush(stdout);
	return n_failed ? 1 : 0;
}
