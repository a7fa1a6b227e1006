/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: the machine a benchmark ran on
 *
 * Per-packet figures are not portable between machines (the same build
 * measured 1.72x the empty program on one and 3.3-3.6x on another), so
 * every per-packet benchmark prints, with its figures, the CPU model, the
 * kernel and the mitigation lines that change the cost of a helper call
 * (SRSO's "safe RET" makes every return from a kernel function mispredict).
 */
#ifndef XLB_BENCH_MACHINE_H
#define XLB_BENCH_MACHINE_H

#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

static void bench_print_line(const char *label, const char *path,
			     const char *prefix)
{
	char line[256];
	FILE *f = fopen(path, "r");
	size_t n = prefix ? strlen(prefix) : 0;

	while (f && fgets(line, sizeof(line), f)) {
		char *v = line;

		if (prefix) {
			if (strncmp(line, prefix, n))
				continue;
			v = strchr(line, ':');
			v = v ? v + 1 + strspn(v + 1, " \t") : line;
		}
		line[strcspn(line, "\n")] = 0;
		printf("# %s: %s\n", label, v);
		break;
	}
	if (!f)
		printf("# %s: unknown\n", label);
	else
		fclose(f);
}

/* "# cpu: ...", "# kernel ...", "# spec_rstack_overflow: ...", "# retbleed" */
static void bench_print_machine(void)
{
	static const char vul[] = "/sys/devices/system/cpu/vulnerabilities/";
	static const char *const lines[] = { "spec_rstack_overflow",
					     "retbleed" };
	struct utsname u;
	char path[128];
	size_t i;

	bench_print_line("cpu", "/proc/cpuinfo", "model name");
	if (!uname(&u))
		printf("# kernel %s\n", u.release);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", vul, lines[i]);
		bench_print_line(lines[i], path, NULL);
	}
}

#endif /* XLB_BENCH_MACHINE_H */
