// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: fuzz_config - the YAML configuration loader
 *
 * Any input either fails with one line "NAME:LINE:COL: message" (or
 * "NAME: message") or loads; a config that loads must dump to YAML that
 * loads back to an equal config, and dumping that gives the same text.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static __attribute__((noreturn)) void fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_config: %s%s%s\n", what, detail ? ": " : "",
		detail ? detail : "");
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xlb_cfg *a = NULL, *b = NULL, *d = NULL;
	char err[600], err2[600], *t1 = NULL, *t2 = NULL;
	int ret;

	ret = xlb_cfg_parse((const char *)data, size, "f.yaml", &a, err,
			    sizeof(err));
	if (ret) {
		if (a)
			fail("error but a config", NULL);
		if (ret == -ENOMEM)
			return 0;
		if (strncmp(err, "f.yaml:", 7) || strchr(err, '\n'))
			fail("error message is not one line NAME:...", err);
		return 0;
	}
	if (!a)
		fail("no error and no config", NULL);
	if (xlb_cfg_validate(a, err, sizeof(err)))
		fail("a loaded config does not validate", err);
	if (xlb_cfg_dump(a, &t1))
		fail("dump failed", NULL);
	ret = xlb_cfg_parse(t1, strlen(t1), "dump.yaml", &b, err2,
			    sizeof(err2));
	if (ret) {
		fprintf(stderr, "%s\n", t1);
		fail("the dump does not load", err2);
	}
	if (!xlb_cfg_equal(a, b)) {
		fprintf(stderr, "%s\n", t1);
		fail("the dump loads to another config", NULL);
	}
	if (xlb_cfg_dump(b, &t2))
		fail("second dump failed", NULL);
	if (strcmp(t1, t2))
		fail("dump of the reloaded config differs", NULL);
	d = xlb_cfg_dup(a);
	if (!d || !xlb_cfg_equal(a, d))
		fail("dup differs", NULL);
	free(t1);
	free(t2);
	xlb_cfg_free(a);
	xlb_cfg_free(b);
	xlb_cfg_free(d);
	return 0;
}
