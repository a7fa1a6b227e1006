// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: runtime state file, configuration diffs and the three-way merge
 *
 * See state.h for the design. Objects are compared through their JSON
 * form (the file's keys), so one function per kind of object says what
 * it is made of, and the diff, the merge and `xlbctl check show` agree
 * on it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_priv.h"
#include "fields.h"
#include "state.h"

#define STATE_VERSION 1
#define STATE_MAX     (64u << 20)

/* --- objects as JSON ----------------------------------------------------- */

/* A value as JSON: numbers (but 0x... ones: JSON integers stop at 2^63),
 * ports (a number or "any") and booleans as such, addresses unset as null,
 * lists as arrays, the rest as the file writes it. */
static json_t *field_json(const struct xlb_field *f, const void *base)
{
	char buf[XLB_STR_MAX + 64];
	const char *v;
	size_t i, n;
	json_t *a;

	switch (f->type) {
	case XLB_FT_PREFIX:
	case XLB_FT_STATUS:
	case XLB_FT_ARGV:
		a = json_array();
		n = xlb_field_count(f, base);
		for (i = 0; i < n; i++)
			json_array_append_new(
				a, json_string(xlb_field_str(f, base, i, buf,
							     sizeof(buf))));
		return a;
	case XLB_FT_ADDR:
		if (!xlb_field_is_set(f, base))
			return json_null();
		break;
	case XLB_FT_PORT: /* a number, or "any" */
		if (*(const __u16 *)((const char *)base + f->off))
			return json_integer(
				*(const __u16 *)((const char *)base + f->off));
		break;
	default:
		break;
	}
	v = xlb_field_str(f, base, 0, buf, sizeof(buf));
	if (f->type == XLB_FT_UINT && !(f->flags & XLB_FF_HEX))
		return json_integer((json_int_t)strtoull(v, NULL, 0));
	if (f->type == XLB_FT_BOOL ||
	    (f->type == XLB_FT_FLAG && !strcmp(f->names[0], "true")) ||
	    (f->type == XLB_FT_FLAG && !strcmp(f->names[0], "false")))
		return json_boolean(!strcmp(v, "true"));
	return json_string(v);
}

/* Every key of @o that the file would hold, defaults included, sections
 * flattened as "prefix.key"; lists of objects are objects of their own. */
static void obj_json(json_t *out, const struct xlb_obj *o, const void *base,
		     const char *prefix)
{
	char key[128];
	const struct xlb_field *f;

	for (f = o->fields; f->key; f++) {
		if (f->type == XLB_FT_LIST ||
		    !xlb_field_shown(f, o, base, false))
			continue;
		snprintf(key, sizeof(key), "%s%s", prefix, f->key);
		if (f->type == XLB_FT_OBJ) {
			strncat(key, ".", sizeof(key) - strlen(key) - 1);
			obj_json(out, f->sub, (const char *)base + f->off, key);
			continue;
		}
		json_object_set_new(out, key, field_json(f, base));
	}
}

json_t *xlb_obj_json(const struct xlb_obj *o, const void *base)
{
	json_t *out = json_object();

	if (out)
		obj_json(out, o, base, "");
	return out;
}

json_t *xlb_hc_json(const struct xlb_hc_cfg *h)
{
	return xlb_obj_json(&xlb_obj_check, h);
}

/* Every global setting, one key each, as "section.key"; "bgp" says whether
 * the section is there. */
static json_t *globals_json(const struct xlb_cfg *c)
{
	json_t *o = xlb_obj_json(&xlb_obj_root, c);

	if (o)
		json_object_set_new(o, "bgp", json_boolean(c->bgp.enabled));
	return o;
}

static void vip_name(const struct xlb_vip_cfg *v, char *buf, size_t len)
{
	xlb_vip_str(&v->addr, v->port, v->proto, buf, len);
}

static void be_name(const struct xlb_vip_cfg *v,
		    const struct xlb_backend_cfg *b, char *buf, size_t len)
{
	char vs[80], as[XLB_ADDR_STRLEN];

	vip_name(v, vs, sizeof(vs));
	snprintf(buf, len, "%s backend %s", vs, xlb_addr_str(&b->addr, as));
}

/*
 * Equality of one object through xlb_cfg_equal() on configurations that
 * hold only it. config.c compares every field, including fields added
 * after the JSON forms above were written, so a setting those forms do not
 * show still counts as a change (and as an override) instead of being
 * lost.
 */
static bool hc_same(const struct xlb_hc_cfg *a, const struct xlb_hc_cfg *b)
{
	struct xlb_cfg x = { 0 }, y = { 0 };

	if (!a || !b)
		return a == b;
	x.checks = (struct xlb_hc_cfg *)a;
	y.checks = (struct xlb_hc_cfg *)b;
	x.n_checks = y.n_checks = 1;
	return xlb_cfg_equal(&x, &y);
}

static bool opts_same(const struct xlb_vip_cfg *a, const struct xlb_vip_cfg *b)
{
	struct xlb_cfg x = { 0 }, y = { 0 };
	struct xlb_vip_cfg va, vb;

	if (!a || !b)
		return a == b;
	va = *a;
	vb = *b;
	va.backends = vb.backends = NULL;
	va.n_backends = vb.n_backends = 0;
	x.vips = &va;
	y.vips = &vb;
	x.n_vips = y.n_vips = 1;
	return xlb_cfg_equal(&x, &y);
}

static bool be_same(const struct xlb_backend_cfg *a,
		    const struct xlb_backend_cfg *b)
{
	struct xlb_cfg x = { 0 }, y = { 0 };
	struct xlb_vip_cfg va = { 0 }, vb = { 0 };

	if (!a || !b)
		return a == b;
	va.backends = (struct xlb_backend_cfg *)a;
	vb.backends = (struct xlb_backend_cfg *)b;
	va.n_backends = vb.n_backends = 1;
	x.vips = &va;
	y.vips = &vb;
	x.n_vips = y.n_vips = 1;
	return xlb_cfg_equal(&x, &y);
}

static bool iface_same(const struct xlb_iface_cfg *a,
		       const struct xlb_iface_cfg *b)
{
	struct xlb_cfg x = { 0 }, y = { 0 };

	x.ifaces = (struct xlb_iface_cfg *)a;
	y.ifaces = (struct xlb_iface_cfg *)b;
	x.n_ifaces = y.n_ifaces = 1;
	return xlb_cfg_equal(&x, &y);
}

/* every global setting (lists of objects left out) */
static bool globals_same(const struct xlb_cfg *a, const struct xlb_cfg *b)
{
	struct xlb_cfg x = *a, y = *b;

	x.n_ifaces = y.n_ifaces = x.n_checks = y.n_checks = 0;
	x.n_vips = y.n_vips = 0;
	return xlb_cfg_equal(&x, &y);
}

/* map entry: key "OBJECT NAME" -> {object, name, value} */
static void map_add(json_t *m, const char *object, const char *name,
		    json_t *value, size_t i, size_t j)
{
	char key[256];

	snprintf(key, sizeof(key), "%s %s", object, name);
	json_object_set_new(m, key,
			    json_pack("{s:s,s:s,s:o,s:I,s:I}", "object", object,
				      "name", name, "value",
				      value ?: json_null(), "i", (json_int_t)i,
				      "j", (json_int_t)j));
}

/* Every object of @c, in the order of the file. */
static json_t *cfg_map(const struct xlb_cfg *c)
{
	json_t *m = json_object(), *g, *v;
	char name[200];
	const char *k;
	size_t i, j;

	g = globals_json(c);
	json_object_foreach (g, k, v)
		map_add(m, "global", k, json_incref(v), 0, 0);
	json_decref(g);
	for (i = 0; i < c->n_ifaces; i++)
		map_add(m, "interface", c->ifaces[i].name,
			xlb_obj_json(&xlb_obj_iface, &c->ifaces[i]), i, 0);
	for (i = 0; i < c->n_checks; i++)
		map_add(m, "check", c->checks[i].name,
			xlb_hc_json(&c->checks[i]), i, 0);
	for (i = 0; i < c->n_vips; i++) {
		const struct xlb_vip_cfg *vc = &c->vips[i];

		vip_name(vc, name, sizeof(name));
		map_add(m, "vip", name, xlb_obj_json(&xlb_obj_vip, vc), i, 0);
		for (j = 0; j < vc->n_backends; j++) {
			be_name(vc, &vc->backends[j], name, sizeof(name));
			map_add(m, "backend", name,
				xlb_obj_json(&xlb_obj_backend,
					     &vc->backends[j]),
				i, j);
		}
	}
	return m;
}

/* --- diff ---------------------------------------------------------------- */

static json_t *change(json_t *e, const char *what)
{
	return json_pack("{s:O,s:O,s:s}", "object",
			 json_object_get(e, "object"), "name",
			 json_object_get(e, "name"), "change", what);
}

/* Fields of two values that differ: {"key": [old, new]}. Values that are
 * not objects (globals) are one field named "value". */
static json_t *fields_diff(json_t *a, json_t *b)
{
	json_t *f = json_object(), *va, *vb;
	const char *k;

	if (!json_is_object(a) || !json_is_object(b)) {
		json_object_set_new(f, "value", json_pack("[O,O]", a, b));
		return f;
	}
	json_object_foreach (a, k, va) {
		vb = json_object_get(b, k);
		if (!vb || !json_equal(va, vb))
			json_object_set_new(
				f, k,
				json_pack("[O,O]", va, vb ?: json_null()));
	}
	json_object_foreach (b, k, vb)
		if (!json_object_get(a, k))
			json_object_set_new(f, k, json_pack("[n,O]", vb));
	return f;
}

/* Whether the objects of two map entries (same key) are equal field by
 * field; globals are compared as a whole by the caller. */
static bool entry_same(const struct xlb_cfg *a, json_t *ea,
		       const struct xlb_cfg *b, json_t *eb)
{
	const char *o = json_string_value(json_object_get(ea, "object"));
	size_t ia = (size_t)json_integer_value(json_object_get(ea, "i"));
	size_t ja = (size_t)json_integer_value(json_object_get(ea, "j"));
	size_t ib = (size_t)json_integer_value(json_object_get(eb, "i"));
	size_t jb = (size_t)json_integer_value(json_object_get(eb, "j"));

	if (!strcmp(o, "interface"))
		return iface_same(&a->ifaces[ia], &b->ifaces[ib]);
	if (!strcmp(o, "check"))
		return hc_same(&a->checks[ia], &b->checks[ib]);
	if (!strcmp(o, "vip"))
		return opts_same(&a->vips[ia], &b->vips[ib]);
	if (!strcmp(o, "backend"))
		return be_same(&a->vips[ia].backends[ja],
			       &b->vips[ib].backends[jb]);
	return true;
}

json_t *xlb_cfg_diff(const struct xlb_cfg *from, const struct xlb_cfg *to)
{
	json_t *ma = cfg_map(from), *mb = cfg_map(to), *out = json_array();
	bool shown_global = false;
	json_t *ea, *eb, *c;
	const char *k;

	json_object_foreach (ma, k, ea) {
		eb = json_object_get(mb, k);
		if (!eb) {
			json_array_append_new(out, change(ea, "removed"));
			continue;
		}
		if (json_equal(json_object_get(ea, "value"),
			       json_object_get(eb, "value"))) {
			/* a setting the JSON forms do not show */
			if (entry_same(from, ea, to, eb))
				continue;
			c = change(ea, "changed");
			json_object_set_new(c, "fields", json_object());
			json_array_append_new(out, c);
			continue;
		}
		if (!strcmp(json_string_value(json_object_get(ea, "object")),
			    "global"))
			shown_global = true;
		c = change(ea, "changed");
		json_object_set_new(c, "fields",
				    fields_diff(json_object_get(ea, "value"),
						json_object_get(eb, "value")));
		json_array_append_new(out, c);
	}
	if (!shown_global && !globals_same(from, to))
		json_array_append_new(out,
				      json_pack("{s:s,s:s,s:s,s:{}}", "object",
						"global", "name", "settings",
						"change", "changed", "fields"));
	json_object_foreach (mb, k, eb) {
		if (json_object_get(ma, k))
			continue;
		c = change(eb, "added");
		json_object_set(c, "value", json_object_get(eb, "value"));
		json_array_append_new(out, c);
	}
	json_decref(ma);
	json_decref(mb);
	return out;
}

static void val_str(json_t *v, char *buf, size_t len)
{
	char *s;

	if (!v || json_is_null(v)) {
		snprintf(buf, len, "(none)");
		return;
	}
	if (json_is_string(v)) {
		snprintf(buf, len, "%s",
			 json_string_length(v) ? json_string_value(v) : "\"\"");
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(buf, len, "%s", s ? s : "?");
	free(s);
}

void xlb_diff_line(json_t *c, char *buf, size_t len)
{
	const char *what = json_string_value(json_object_get(c, "change"));
	const char *obj = json_string_value(json_object_get(c, "object"));
	const char *name = json_string_value(json_object_get(c, "name"));
	char a[256], b[256];
	bool first = true;
	const char *k;
	size_t n;
	json_t *v;

	what = what ?: "?";
	n = (size_t)snprintf(buf, len, "%c %s %s",
			     !strcmp(what, "added")   ? '+' :
			     !strcmp(what, "removed") ? '-' :
							'~',
			     obj ?: "?", name ?: "?");
	if (strcmp(what, "changed")) {
		if (n < len)
			snprintf(buf + n, len - n, " (%s)", what);
		return;
	}
	if (!json_object_size(json_object_get(c, "fields")) && n < len) {
		snprintf(buf + n, len - n,
			 ": a setting not listed here changed (xlbctl config "
			 "dump shows every one)");
		return;
	}
	json_object_foreach (json_object_get(c, "fields"), k, v) {
		if (n >= len)
			return;
		val_str(json_array_get(v, 0), a, sizeof(a));
		val_str(json_array_get(v, 1), b, sizeof(b));
		n += (size_t)snprintf(buf + n, len - n, "%s %s%s%s -> %s",
				      first ? ":" : ",",
				      strcmp(k, "value") ? k : "",
				      strcmp(k, "value") ? " " : "", a, b);
		first = false;
	}
}

/* --- three-way merge ----------------------------------------------------- */

static bool vip_same(const struct xlb_vip_cfg *a, const struct xlb_vip_cfg *b)
{
	size_t i;

	if (!a || !b)
		return a == b;
	if (!opts_same(a, b) || a->n_backends != b->n_backends)
		return false;
	for (i = 0; i < a->n_backends; i++)
		if (!be_same(&a->backends[i],
			     xlb_vip_find_backend(b, &a->backends[i].addr)))
			return false;
	return true;
}

static void note(json_t *notes, const char *obj, const char *name,
		 const char *why)
{
	char buf[400];

	snprintf(buf, sizeof(buf),
		 "%s %s: %s in the configuration file: runtime override "
		 "dropped",
		 obj, name, why);
	json_array_append_new(notes, json_string(buf));
}

static struct xlb_hc_cfg *find_hc(const struct xlb_cfg *c, const char *name)
{
	return (struct xlb_hc_cfg *)xlb_cfg_find_check(c, name);
}

static int put_hc(struct xlb_cfg *m, const struct xlb_hc_cfg *h)
{
	struct xlb_hc_cfg *cur = find_hc(m, h->name), *n;

	if (cur) {
		*cur = *h;
		return 0;
	}
	n = realloc(m->checks, (m->n_checks + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	m->checks = n;
	m->checks[m->n_checks++] = *h;
	return 0;
}

static void del_hc(struct xlb_cfg *m, const char *name)
{
	struct xlb_hc_cfg *h = find_hc(m, name);
	size_t i;

	if (!h)
		return;
	i = (size_t)(h - m->checks);
	memmove(h, h + 1, (m->n_checks - i - 1) * sizeof(*h));
	m->n_checks--;
}

/* One object: @b in base, @r running, @f in the file. Returns 1 when the
 * override should be applied, 0 when there is none, -1 when the operator
 * changed the object in the file (override dropped). */
static int decide(bool overridden, bool file_untouched)
{
	if (!overridden)
		return 0;
	return file_untouched ? 1 : -1;
}

static int merge_checks(const struct xlb_cfg *base, const struct xlb_cfg *run,
			struct xlb_cfg *m, json_t *notes)
{
	const struct xlb_cfg *src[2] = { base, run };
	const struct xlb_hc_cfg *b, *r, *f;
	size_t s, i;
	int d;

	for (s = 0; s < 2; s++) {
		for (i = 0; i < src[s]->n_checks; i++) {
			const char *name = src[s]->checks[i].name;

			if (s == 1 && find_hc(base, name))
				continue; /* seen with base */
			b = find_hc(base, name);
			r = find_hc(run, name);
			f = find_hc(m, name);
			/* the file now says what runs: nothing to keep */
			if (hc_same(f, r))
				continue;
			d = decide(!hc_same(b, r), hc_same(f, b));
			if (d < 0)
				note(notes, "check", name,
				     f ? "changed" : "removed");
			if (d <= 0)
				continue;
			if (r) {
				if (put_hc(m, r))
					return -ENOMEM;
			} else {
				del_hc(m, name);
			}
		}
	}
	return 0;
}

static void copy_opts(struct xlb_vip_cfg *dst, const struct xlb_vip_cfg *src)
{
	struct xlb_backend_cfg *be = dst->backends;
	size_t n = dst->n_backends;

	*dst = *src;
	dst->backends = be;
	dst->n_backends = n;
}

static int merge_backends(const struct xlb_vip_cfg *bv,
			  const struct xlb_vip_cfg *rv, struct xlb_vip_cfg *mv,
			  json_t *notes)
{
	const struct xlb_vip_cfg *src[2] = { bv, rv };
	const struct xlb_backend_cfg *b, *r, *f;
	struct xlb_backend_cfg *cur;
	char name[200];
	size_t s, i;
	int d;

	for (s = 0; s < 2; s++) {
		for (i = 0; i < src[s]->n_backends; i++) {
			const struct xlb_addr *a = &src[s]->backends[i].addr;

			if (s == 1 && xlb_vip_find_backend(bv, a))
				continue;
			b = xlb_vip_find_backend(bv, a);
			r = xlb_vip_find_backend(rv, a);
			f = xlb_vip_find_backend(mv, a);
			if (be_same(f, r))
				continue;
			d = decide(!be_same(b, r), be_same(f, b));
			if (d < 0) {
				be_name(mv, &src[s]->backends[i], name,
					sizeof(name));
				note(notes, "backend", name,
				     f ? "changed" : "removed");
			}
			if (d <= 0)
				continue;
			if (!r) {
				xlb_vip_del_backend(mv, a);
				continue;
			}
			cur = xlb_vip_find_backend(mv, a);
			if (cur)
				*cur = *r;
			else if (xlb_vip_add_backend(mv, r))
				return -ENOMEM;
		}
	}
	return 0;
}

static int merge_vip(const struct xlb_cfg *base, const struct xlb_cfg *run,
		     struct xlb_cfg *m, const struct xlb_vip_cfg *key,
		     json_t *notes)
{
	const struct xlb_vip_cfg *b, *r;
	struct xlb_vip_cfg *f;
	char name[80];

	b = xlb_cfg_find_vip(base, &key->addr, key->port, key->proto);
	r = xlb_cfg_find_vip(run, &key->addr, key->port, key->proto);
	f = xlb_cfg_find_vip(m, &key->addr, key->port, key->proto);
	vip_name(key, name, sizeof(name));
	if (vip_same(b, r))
		return 0;
	if (!b) { /* added at runtime */
		if (!f)
			return xlb_cfg_add_vip(m, r);
		if (!vip_same(f, r))
			note(notes, "vip", name, "defined");
		return 0;
	}
	if (!r) { /* deleted at runtime */
		if (vip_same(f, b))
			xlb_cfg_del_vip(m, &key->addr, key->port, key->proto);
		else if (f)
			note(notes, "vip", name, "changed");
		return 0;
	}
	if (!f) {
		note(notes, "vip", name, "removed");
		return 0;
	}
	/* in all three: its options, then each backend */
	switch (opts_same(f, r) ? 0 :
				  decide(!opts_same(b, r), opts_same(f, b))) {
	case 1:
		copy_opts(f, r);
		break;
	case -1:
		note(notes, "vip", name, "changed");
		break;
	}
	return merge_backends(b, r, f, notes);
}

int xlb_state_merge(const struct xlb_cfg *base, const struct xlb_cfg *run,
		    const struct xlb_cfg *file, struct xlb_cfg **out,
		    json_t *notes)
{
	struct xlb_cfg *m = xlb_cfg_dup(file);
	size_t i;
	int d, r = 0;

	*out = NULL;
	if (!m)
		return -ENOMEM;
	/* globals that can change at runtime: log level and PoP drain */
	d = !strcmp(file->log_level, run->log_level) ?
		    0 :
		    decide(strcmp(base->log_level, run->log_level),
			   !strcmp(file->log_level, base->log_level));
	if (d > 0)
		snprintf(m->log_level, sizeof(m->log_level), "%s",
			 run->log_level);
	else if (d < 0)
		note(notes, "global", "log.level", "changed");
	d = file->bgp.drain == run->bgp.drain ?
		    0 :
		    decide(base->bgp.drain != run->bgp.drain,
			   file->bgp.enabled &&
				   file->bgp.drain == base->bgp.drain);
	if (d > 0)
		m->bgp.drain = run->bgp.drain;
	else if (d < 0)
		note(notes, "global", "bgp.drain",
		     file->bgp.enabled ? "changed" : "section removed");

	r = merge_checks(base, run, m, notes);
	for (i = 0; !r && i < base->n_vips; i++)
		r = merge_vip(base, run, m, &base->vips[i], notes);
	for (i = 0; !r && i < run->n_vips; i++)
		if (!xlb_cfg_find_vip(base, &run->vips[i].addr,
				      run->vips[i].port, run->vips[i].proto))
			r = merge_vip(base, run, m, &run->vips[i], notes);
	if (r) {
		xlb_cfg_free(m);
		return r;
	}
	*out = m;
	return 0;
}

/* --- the file ------------------------------------------------------------ */

static int parse_part(json_t *root, const char *key, const char *path,
		      struct xlb_cfg **out, char *err, size_t errlen)
{
	const char *text = json_string_value(json_object_get(root, key));
	char name[PATH_MAX + 16], e[400];
	int r;

	if (!text) {
		snprintf(err, errlen, "%s: no \"%s\" configuration", path, key);
		return -EINVAL;
	}
	snprintf(name, sizeof(name), "%s[%s]", path, key);
	r = xlb_cfg_parse(text, strlen(text), name, out, e, sizeof(e));
	if (r)
		snprintf(err, errlen, "%s", e);
	return r;
}

int xlb_state_load(const char *path, const char *cfg_path,
		   struct xlb_cfg **base, struct xlb_cfg **run, char *err,
		   size_t errlen)
{
	json_t *root = NULL;
	json_error_t je;
	const char *cf;
	size_t len;
	char *buf = NULL;
	int r;

	*base = *run = NULL;
	r = xlb_file_read(path, STATE_MAX, &buf, &len);
	if (r == -ENOENT)
		return r;
	if (r) {
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	root = json_loadb(buf, len, 0, &je);
	free(buf);
	if (!root || !json_is_object(root)) {
		snprintf(err, errlen, "%s:%d:%d: not a state file: %s", path,
			 je.line, je.column, root ? "not an object" : je.text);
		r = -EINVAL;
		goto out;
	}
	if (json_integer_value(json_object_get(root, "version")) !=
	    STATE_VERSION) {
		snprintf(err, errlen, "%s: unknown state file version", path);
		r = -EINVAL;
		goto out;
	}
	cf = json_string_value(json_object_get(root, "config_file"));
	if (!cf || strcmp(cf, cfg_path)) {
		snprintf(err, errlen,
			 "%s: written for configuration file %s, not %s", path,
			 cf ?: "(none)", cfg_path);
		r = -EINVAL;
		goto out;
	}
	r = parse_part(root, "base", path, base, err, errlen);
	if (!r)
		r = parse_part(root, "running", path, run, err, errlen);
out:
	json_decref(root);
	if (r) {
		xlb_cfg_free(*base);
		xlb_cfg_free(*run);
		*base = *run = NULL;
	}
	return r;
}

int xlb_state_save(const char *path, const char *cfg_path,
		   const struct xlb_cfg *base, const struct xlb_cfg *run)
{
	char *bt = NULL, *rt = NULL, *text = NULL;
	json_t *root = NULL, *ov;
	int r;

	if (xlb_cfg_equal(base, run)) {
		if (unlink(path) && errno != ENOENT)
			return -errno;
		return 0;
	}
	r = xlb_cfg_dump(base, &bt);
	r = r ?: xlb_cfg_dump(run, &rt);
	if (r)
		goto out;
	ov = xlb_cfg_diff(base, run);
	root = json_pack("{s:i,s:s,s:s,s:o,s:s,s:s}", "version", STATE_VERSION,
			 "comment",
			 "written by xlbd: runtime changes over the "
			 "configuration file; see xlbctl config diff",
			 "config_file", cfg_path, "overrides",
			 ov ?: json_array(), "base", bt, "running", rt);
	text = root ? json_dumps(root, JSON_INDENT(1)) : NULL;
	if (!text) {
		r = -ENOMEM;
		goto out;
	}
	r = xlb_file_replace(path, text, 0640);
out:
	json_decref(root);
	free(text);
	free(bt);
	free(rt);
	return r;
}
