// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: which VIPs to announce, and the file BIRD reads
 *
 * See announce.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "announce.h"
#include "file.h"

bool xlb_ann_step(struct xlb_ann *a, bool servable, __u64 now_ms,
		  __u32 hold_down_ms, __u64 *recheck_ms)
{
	if (!servable) {
		a->servable_since = 0;
		if (!a->announced)
			return false;
		a->announced = false;
		a->withdrawn_once = true;
		return true;
	}
	if (!a->servable_since)
		a->servable_since = now_ms;
	if (a->announced)
		return false;
	if (a->withdrawn_once &&
	    now_ms - a->servable_since < (__u64)hold_down_ms) {
		if (recheck_ms)
			*recheck_ms = a->servable_since + hold_down_ms;
		return false;
	}
	a->announced = true;
	return true;
}

/* appends to buf at *off; -ENOSPC once it does not fit */
static int put(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len - *off)
		return -ENOSPC;
	*off += (size_t)n;
	return 0;
}

/* true if v[i]'s address appeared at an earlier index */
static bool seen(const struct xlb_ann_vip *v, size_t i)
{
	size_t j;

	for (j = 0; j < i; j++)
		if (xlb_addr_eq(&v[j].addr, &v[i].addr))
			return true;
	return false;
}

/* true if any entry with v[i]'s address is announced */
static bool any_announced(const struct xlb_ann_vip *v, size_t n, size_t i)
{
	size_t j;

	for (j = 0; j < n; j++)
		if (v[j].announced && xlb_addr_eq(&v[j].addr, &v[i].addr))
			return true;
	return false;
}

static int render_family(const struct xlb_ann_vip *v, size_t n, int fam,
			 bool sets, char *buf, size_t len, size_t *off)
{
	char as[XLB_ADDR_STRLEN];
	unsigned int plen = fam == XLB_AF_INET ? 32 : 128;
	size_t i;
	int err = 0;

	for (i = 0; i < n && !err; i++) {
		if (v[i].addr.family != fam || seen(v, i))
			continue;
		if (sets && !any_announced(v, n, i))
			continue;
		xlb_addr_str(&v[i].addr, as);
		if (sets)
			err = put(buf, len, off, ", %s/%u", as, plen);
		else
			err = put(buf, len, off, "\troute %s/%u blackhole;\n",
				  as, plen);
	}
	return err;
}

int xlb_ann_render(const struct xlb_ann_vip *v, size_t n, bool drain,
		   unsigned int prepend, char *buf, size_t len)
{
	size_t off = 0;
	int err;

	err = put(buf, len, &off,
		  "# Written by xlbd: which VIPs this PoP announces. Do not "
		  "edit;\n# see bgp/README.md for the format.\n"
		  "define XLB_DRAIN = %d;\n"
		  "define XLB_PREPEND = %u;\n"
		  "define XLB_VIPS4 = [ 0.0.0.0/32",
		  drain ? 1 : 0, prepend);
	err = err ?: render_family(v, n, XLB_AF_INET, true, buf, len, &off);
	err = err ?: put(buf, len, &off, " ];\ndefine XLB_VIPS6 = [ ::/128");
	err = err ?: render_family(v, n, XLB_AF_INET6, true, buf, len, &off);
	err = err   ?:
		      put(buf, len, &off,
			  " ];\nprotocol static xlb_vips4 {\n\tipv4;\n");
	err = err ?: render_family(v, n, XLB_AF_INET, false, buf, len, &off);
	err = err   ?:
		      put(buf, len, &off,
			  "}\nprotocol static xlb_vips6 {\n\tipv6;\n");
	err = err ?: render_family(v, n, XLB_AF_INET6, false, buf, len, &off);
	err = err ?: put(buf, len, &off, "}\n");
	return err ? err : (int)off;
}

/* the prefixes of "define NAME = [ ... ];" in @text */
static int parse_set(const char *text, const char *name, struct xlb_addr *out,
		     size_t max, size_t *n)
{
	char key[64], a[XLB_ADDR_STRLEN];
	const char *p, *end;
	struct xlb_addr x;
	size_t k;

	snprintf(key, sizeof(key), "define %s = [", name);
	p = strstr(text, key);
	if (!p)
		return -EPROTO;
	p += strlen(key);
	end = strchr(p, ']');
	if (!end)
		return -EPROTO;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == ','))
			p++;
		if (p >= end)
			break;
		k = strcspn(p, "/");
		if (p + k >= end || k >= sizeof(a))
			return -EPROTO;
		memcpy(a, p, k);
		a[k] = '\0';
		p += k;
		p += strcspn(p, ", ]");
		if (xlb_addr_parse(a, &x))
			return -EPROTO;
		/* the placeholders, however they are written ("0::" too) */
		if (xlb_addr_is_unspecified(&x))
			continue;
		if (*n == max)
			return -EPROTO;
		out[(*n)++] = x;
	}
	return 0;
}

int xlb_ann_parse(const char *text, struct xlb_addr *out, size_t max,
		  bool *drain)
{
	const char *p = strstr(text, "define XLB_DRAIN = ");
	size_t n = 0;
	int err;

	if (!p)
		return -EPROTO;
	p += strlen("define XLB_DRAIN = ");
	if (*p != '0' && *p != '1')
		return -EPROTO;
	*drain = *p == '1';
	err = parse_set(text, "XLB_VIPS4", out, max, &n);
	err = err ?: parse_set(text, "XLB_VIPS6", out, max, &n);
	return err ? err : (int)n;
}

int xlb_ann_prepend(const char *text)
{
	const char *p = strstr(text, "define XLB_PREPEND = ");
	unsigned int v = 0;

	if (!p)
		return -ENOENT;
	p += strlen("define XLB_PREPEND = ");
	if (*p < '0' || *p > '9')
		return -EPROTO;
	for (; *p >= '0' && *p <= '9' && v < 1000; p++)
		v = v * 10 + (unsigned int)(*p - '0');
	return *p == ';' ? (int)v : -EPROTO;
}

int xlb_ann_write(const char *path, const char *text, char *err, size_t errlen)
{
	char *dcopy = strdup(path);
	int ret;

	if (!dcopy) {
		snprintf(err, errlen, "no memory");
		return -ENOMEM;
	}
	/* /run is empty after a reboot */
	if (mkdir(dirname(dcopy), 0755) && errno != EEXIST) {
		ret = -errno;
		snprintf(err, errlen, "%s: mkdir: %s", path, strerror(errno));
		free(dcopy);
		return ret;
	}
	free(dcopy);
	ret = xlb_file_replace(path, text, 0644);
	if (ret)
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	return ret;
}

int xlb_ann_read(const char *path, char **out)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;
	int ret = 0;

	*out = NULL;
	if (!f)
		return -errno;
	buf = malloc((1 << 20) + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(buf, 1, 1 << 20, f);
	if (ferror(f))
		ret = -EIO;
	fclose(f);
	if (ret) {
		free(buf);
		return ret;
	}
	buf[n] = '\0';
	*out = buf;
	return 0;
}
