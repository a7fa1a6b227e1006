// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: the configuration file (YAML)
 *
 * Loading takes four steps, each stopping at the first problem, which is
 * reported as one line "FILE:LINE:COL: message":
 *
 * 1. libyaml reads the text as events: syntax errors, aliases (refused, so
 *    that what xlbd saves back looks like what was loaded) and extra
 *    documents are caught here.
 * 2. libyaml builds the node tree, which keeps the line and column of every
 *    key and value.
 * 3. The tree is walked against the field tables (fields.h): unknown,
 *    duplicate and missing keys, lists where a mapping belongs, empty
 *    values.
 * 4. The tree is walked again and every value is parsed by the field
 *    table's rules into struct xlb_cfg (decimal only, "true"/"false"
 *    only), defaults coming from the same tables; the result goes through
 *    the same semantic checks as xlb_cfg_validate(). A problem found there
 *    comes with a path into the document ("vips/1/backends/0/weight"),
 *    which the tree turns into a position.
 *
 * Dumping walks the same tables and writes with libyaml's emitter, so a
 * dump always loads back.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config.h"
#include "maps/xlb_quic.h"
#include "config_priv.h"
#include "fields.h"
#include "maps/xlb_maps.h"
/* Larger than any sane configuration; a bound on what we read into memory */
#define XLB_CFG_FILE_MAX (16u << 20)
/*
 * Deeper than any valid document (vips/N/backends/N/key is 5): a bound
 * checked while reading events, because libyaml's scanner slows down with
 * the square of the nesting (100k '[' took over a minute).
 */
#define XLB_CFG_DEPTH_MAX 16

/* --- positions and errors ----------------------------------------------- */

/**
 * struct ld - one load
 * @name: file name for messages
 * @text: the document
 * @len: its length
 * @doc: libyaml's node tree (step 2)
 * @have_doc: @doc must be deleted
 * @err: where the message goes
 * @errlen: its size
 */
struct ld {
	const char *name;
	const char *text;
	size_t len;
	yaml_document_t doc;
	bool have_doc;
	char *err;
	size_t errlen;
};

static int ld_fail(struct ld *l, size_t line, size_t col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* "NAME:LINE:COL: message" with 0-based @line and @col */
static int ld_fail(struct ld *l, size_t line, size_t col, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (l->err && l->errlen) {
		snprintf(l->err, l->errlen, "%s:%zu:%zu: %s", l->name, line + 1,
			 col + 1, msg);
		xlb_cfg_oneline(l->err);
	}
	return -EINVAL;
}

static int ld_fail_at(struct ld *l, const yaml_mark_t *m, const char *msg)
{
	return ld_fail(l, m->line, m->column, "%s", msg);
}

static yaml_node_t *node(struct ld *l, int id)
{
	return yaml_document_get_node(&l->doc, id);
}

/*
 * Where @path ("vips/1/backends/0/weight") is in the document: the key or
 * the value of its last element. A part that is not there (a default was
 * used) stops the walk at the element that holds it.
 */
static yaml_mark_t ld_mark(struct ld *l, const char *path, bool at_key)
{
	yaml_node_t *n = yaml_document_get_root_node(&l->doc);
	yaml_mark_t none = { 0 };
	const char *p = path, *end;
	char part[64];
	size_t len;

	if (!n)
		return none;
	while (*p) {
		yaml_node_pair_t *pr;
		yaml_node_t *k, *next = NULL;
		bool last;

		end = strchr(p, '/');
		len = end ? (size_t)(end - p) : strlen(p);
		if (len >= sizeof(part))
			break;
		memcpy(part, p, len);
		part[len] = '\0';
		last = !end;
		if (n->type == YAML_MAPPING_NODE) {
			for (pr = n->data.mapping.pairs.start;
			     pr < n->data.mapping.pairs.top; pr++) {
				k = node(l, pr->key);
				if (k && k->type == YAML_SCALAR_NODE &&
				    !strcmp((char *)k->data.scalar.value, part))
					break;
			}
			if (pr == n->data.mapping.pairs.top)
				break;
			if (last && at_key)
				return node(l, pr->key)->start_mark;
			next = node(l, pr->value);
		} else if (n->type == YAML_SEQUENCE_NODE) {
			unsigned long i = strtoul(part, NULL, 10);
			size_t cnt = (size_t)(n->data.sequence.items.top -
					      n->data.sequence.items.start);

			if (i >= cnt)
				break;
			next = node(l, n->data.sequence.items.start[i]);
		}
		if (!next)
			break;
		n = next;
		if (last)
			break;
		p = end + 1;
	}
	return n->start_mark;
}

static int ld_fail_path(struct ld *l, const struct xlb_cfg_err *e)
{
	yaml_mark_t m = ld_mark(l, e->path, e->at_key);

	return ld_fail_at(l, &m, e->msg);
}

/* 0-based line and column of byte @off (for reader errors, which only
 * give an offset) */
static void ld_offset_pos(const struct ld *l, size_t off, size_t *line,
			  size_t *col)
{
	size_t i;

	*line = 0;
	*col = 0;
	for (i = 0; i < off && i < l->len; i++) {
		if (l->text[i] == '\n') {
			(*line)++;
			*col = 0;
		} else if (((unsigned char)l->text[i] & 0xc0) != 0x80) {
			(*col)++;
		}
	}
}

static int ld_syntax(struct ld *l, const yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "cannot parse";
	size_t line, col;

	if (p->error == YAML_MEMORY_ERROR) {
		if (l->err && l->errlen)
			snprintf(l->err, l->errlen, "%s: out of memory",
				 l->name);
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR) {
		ld_offset_pos(l, p->problem_offset, &line, &col);
		return ld_fail(l, line, col, "syntax error: %s", problem);
	}
	if (p->context)
		return ld_fail(l, p->problem_mark.line, p->problem_mark.column,
			       "syntax error: %s (%s)", problem, p->context);
	return ld_fail(l, p->problem_mark.line, p->problem_mark.column,
		       "syntax error: %s", problem);
}

/* --- steps 1 and 2: events, then the tree --------------------------------- */

static int ld_scan(struct ld *l)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int docs = 0, depth = 0, err = 0;
	bool done = false;

	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)l->text,
				     l->len);
	while (!done && !err) {
		if (!yaml_parser_parse(&p, &ev)) {
			err = ld_syntax(l, &p);
			break;
		}
		switch (ev.type) {
		case YAML_ALIAS_EVENT:
			err = ld_fail_at(
				l, &ev.start_mark,
				"aliases are not supported: write the value out");
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++docs > 1)
				err = ld_fail_at(
					l, &ev.start_mark,
					"only one YAML document is allowed");
			break;
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > XLB_CFG_DEPTH_MAX)
				err = ld_fail(l, ev.start_mark.line,
					      ev.start_mark.column,
					      "nested more than %d levels deep",
					      XLB_CFG_DEPTH_MAX);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return err;
}

static int ld_tree(struct ld *l)
{
	yaml_parser_t p;
	int err = 0;

	if (!yaml_parser_initialize(&p))
		return -ENOMEM;
	yaml_parser_set_input_string(&p, (const unsigned char *)l->text,
				     l->len);
	if (!yaml_parser_load(&p, &l->doc))
		err = ld_syntax(l, &p);
	else
		l->have_doc = true;
	yaml_parser_delete(&p);
	return err;
}

/* --- step 3: the tree against the tables --------------------------------- */

static bool is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*v || !strcmp(v, "~") || !strcmp(v, "null") ||
		!strcmp(v, "Null") || !strcmp(v, "NULL"));
}

static const char *key_of(struct ld *l, const yaml_node_pair_t *pr)
{
	return (const char *)node(l, pr->key)->data.scalar.value;
}

static int walk_obj(struct ld *l, yaml_node_t *n, const struct xlb_obj *o,
		    const char *what);

static int fail_what(struct ld *l, yaml_node_t *n, const char *what,
		     const char *msg)
{
	char m[256];

	snprintf(m, sizeof(m), "%s%s%s", what, *what ? ": " : "", msg);
	return ld_fail_at(l, &n->start_mark, m);
}

static int walk_scalar(struct ld *l, yaml_node_t *n, const char *what)
{
	if (n->type != YAML_SCALAR_NODE)
		return fail_what(l, n, what, "expected a single value");
	if (is_null(n))
		return fail_what(l, n, what, "missing value");
	return 0;
}

static int walk_field(struct ld *l, yaml_node_t *n, const struct xlb_field *f)
{
	yaml_node_item_t *it;
	char sub[96];
	int err;

	switch (f->type) {
	case XLB_FT_OBJ:
		return walk_obj(l, n, f->sub, f->key);
	case XLB_FT_LIST:
	case XLB_FT_PREFIX:
	case XLB_FT_STATUS:
	case XLB_FT_ARGV:
		if (n->type != YAML_SEQUENCE_NODE)
			return fail_what(l, n, f->key, "expected a list");
		snprintf(sub, sizeof(sub), "%s entry", f->key);
		for (it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			err = f->type == XLB_FT_LIST ?
				      walk_obj(l, node(l, *it), f->sub, sub) :
				      walk_scalar(l, node(l, *it), sub);
			if (err)
				return err;
		}
		return 0;
	default:
		return walk_scalar(l, n, f->key);
	}
}

static yaml_node_pair_t *find_pair(struct ld *l, yaml_node_t *n,
				   const char *key)
{
	yaml_node_pair_t *pr;

	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = node(l, pr->key);

		if (k->type == YAML_SCALAR_NODE &&
		    !strcmp((char *)k->data.scalar.value, key))
			return pr;
	}
	return NULL;
}

static yaml_node_t *find_key(struct ld *l, yaml_node_t *n, const char *key)
{
	yaml_node_pair_t *pr = find_pair(l, n, key);

	return pr ? node(l, pr->key) : NULL;
}

static int walk_obj(struct ld *l, yaml_node_t *n, const struct xlb_obj *o,
		    const char *what)
{
	const struct xlb_field *f;
	yaml_node_pair_t *pr, *q;
	char msg[128];
	int err;

	if (n->type != YAML_MAPPING_NODE)
		return *what ? fail_what(l, n, what, "expected a mapping") :
			       ld_fail_at(
				       l, &n->start_mark,
				       "expected a mapping of sections at the top level");
	/* A missing key is reported at the start of its mapping, which
	 * comes before anything inside it. */
	for (f = o->fields; f->key; f++)
		if ((f->flags & XLB_FF_REQ) && !find_key(l, n, f->key)) {
			snprintf(msg, sizeof(msg), "missing key '%s'", f->key);
			return fail_what(l, n, what, msg);
		}
	for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = node(l, pr->key);
		const char *key;

		if (k->type != YAML_SCALAR_NODE)
			return ld_fail_at(l, &k->start_mark,
					  "keys must be plain names");
		key = (const char *)k->data.scalar.value;
		for (f = o->fields; f->key && strcmp(f->key, key); f++)
			;
		if (!f->key) {
			snprintf(msg, sizeof(msg), "unknown key '%.64s'", key);
			return fail_what(l, k, what, msg);
		}
		for (q = n->data.mapping.pairs.start; q < pr; q++)
			if (!strcmp(key_of(l, q), key)) {
				snprintf(msg, sizeof(msg), "duplicate key '%s'",
					 key);
				return fail_what(l, k, what, msg);
			}
		err = walk_field(l, node(l, pr->value), f);
		if (err)
			return err;
	}
	return 0;
}

/* --- step 4: values into struct xlb_cfg ----------------------------------- */

static int load_obj(struct ld *l, yaml_node_t *n, const struct xlb_obj *o,
		    void *base, struct xlb_cfg *c);

static int load_value(struct ld *l, yaml_node_t *n, const struct xlb_field *f,
		      const struct xlb_obj *o, void *base)
{
	char label[96], msg[512];

	if (f->label)
		snprintf(label, sizeof(label), "%s", f->label);
	else
		snprintf(label, sizeof(label), "%s%s", o->prefix, f->key);
	if (xlb_field_set(f, base, label, (const char *)n->data.scalar.value,
			  msg, sizeof(msg)))
		return ld_fail_at(l, &n->start_mark, msg);
	return 0;
}

/* A list of objects: an owned array, counted as it fills (for freeing) */
static int load_list(struct ld *l, yaml_node_t *n, const struct xlb_field *f,
		     void *base, struct xlb_cfg *c)
{
	size_t cnt = (size_t)(n->data.sequence.items.top -
			      n->data.sequence.items.start);
	size_t *count = (size_t *)((char *)base + f->n_off);
	char **arr = (char **)((char *)base + f->off);
	size_t i;
	int err;

	if (!cnt)
		return 0;
	*arr = calloc(cnt, f->sub->size);
	if (!*arr)
		return -ENOMEM;
	for (i = 0; i < cnt; i++) {
		(*count)++;
		err = load_obj(l, node(l, n->data.sequence.items.start[i]),
			       f->sub, *arr + i * f->sub->size, c);
		if (err)
			return err;
	}
	return 0;
}

static int load_field(struct ld *l, yaml_node_t *n, const struct xlb_field *f,
		      const struct xlb_obj *o, void *base, struct xlb_cfg *c)
{
	yaml_node_item_t *it;
	void *sub;
	int err;

	switch (f->type) {
	case XLB_FT_OBJ:
		sub = (char *)base + f->off;
		if (f->sub->init)
			f->sub->init(sub, c);
		return load_obj(l, n, f->sub, sub, c);
	case XLB_FT_LIST:
		return load_list(l, n, f, base, c);
	case XLB_FT_PREFIX:
	case XLB_FT_STATUS:
	case XLB_FT_ARGV:
		/* a list given replaces the default */
		*(size_t *)((char *)base + f->n_off) = 0;
		for (it = n->data.sequence.items.start;
		     it < n->data.sequence.items.top; it++) {
			err = load_value(l, node(l, *it), f, o, base);
			if (err)
				return err;
		}
		return 0;
	default:
		return load_value(l, n, f, o, base);
	}
}

/*
 * List entries start from their object's defaults; a check's defaults
 * depend on its type, so the keys marked XLB_FF_SEL are read first, and
 * a key its type does not take is refused before any value is read.
 */
static int load_obj(struct ld *l, yaml_node_t *n, const struct xlb_obj *o,
		    void *base, struct xlb_cfg *c)
{
	const struct xlb_field *f;
	yaml_node_pair_t *pr;
	char types[64], msg[256];
	int err, type = -1;

	for (f = o->fields; o->size && f->key; f++) {
		if (!(f->flags & XLB_FF_SEL))
			continue;
		pr = find_pair(l, n, f->key);
		err = pr ? load_field(l, node(l, pr->value), f, o, base, c) : 0;
		if (err)
			return err;
	}
	if (o->size && o->init)
		o->init(base, c);
	else if (o->size)
		xlb_obj_defaults(o, base, -1);
	if (o == &xlb_obj_check)
		type = (int)((struct xlb_hc_cfg *)base)->type;
	for (f = o->fields; type >= 0 && f->key; f++) {
		yaml_node_t *k = find_key(l, n, f->key);

		if (!k || xlb_field_applies(f, type))
			continue;
		snprintf(msg, sizeof(msg),
			 "health check '%s': %s is only for %s checks",
			 ((struct xlb_hc_cfg *)base)->name, f->key,
			 xlb_field_hc_types(f, types, sizeof(types)));
		return ld_fail_at(l, &k->start_mark, msg);
	}
	for (f = o->fields; f->key; f++) {
		pr = find_pair(l, n, f->key);
		err = pr ? load_field(l, node(l, pr->value), f, o, base, c) : 0;
		if (err)
			return err;
	}
	/* fragments: balance implies hash: source unless hash says
	 * otherwise (which validation then refuses) */
	if (o == &xlb_obj_vip && !find_key(l, n, "hash") &&
	    (((struct xlb_vip_cfg *)base)->flags & XLB_VIP_F_FRAG_BALANCE))
		((struct xlb_vip_cfg *)base)->flags |= XLB_VIP_F_SRC_ONLY;
	return 0;
}

/* --- loading --------------------------------------------------------------- */

/**
 * xlb_cfg_parse() - see config.h; the four steps of the DOC comment above
 *
 * @name is what errors start with (a file name); "<config>" when NULL.
 * The config's @path is left empty.
 */
int xlb_cfg_parse(const char *text, size_t len, const char *name,
		  struct xlb_cfg **out, char *err, size_t errlen)
{
	struct ld l = {
		.name = name ? name : "<config>",
		.text = text,
		.len = len,
		.err = err,
		.errlen = errlen,
	};
	struct xlb_cfg *c = NULL;
	struct xlb_cfg_err e;
	yaml_node_t *root;
	int ret;

	if (out)
		*out = NULL;
	if (err && errlen)
		err[0] = '\0';
	if (!text || !out)
		return -EINVAL;
	if (len > XLB_CFG_FILE_MAX) {
		if (err && errlen)
			snprintf(err, errlen, "%s: larger than %u MiB", l.name,
				 XLB_CFG_FILE_MAX >> 20);
		return -EFBIG;
	}
	ret = ld_scan(&l);
	if (!ret)
		ret = ld_tree(&l);
	if (ret)
		goto out;
	root = yaml_document_get_root_node(&l.doc);
	if (!root) {
		ret = ld_fail(&l, 0, 0, "empty configuration");
		goto out;
	}
	ret = walk_obj(&l, root, &xlb_obj_root, "");
	if (ret)
		goto out;
	c = xlb_cfg_new();
	if (!c) {
		ret = -ENOMEM;
		goto out;
	}
	ret = load_obj(&l, root, &xlb_obj_root, c, c);
	if (ret)
		goto out;
	memset(&e, 0, sizeof(e));
	ret = xlb_cfg_check(c, &e);
	if (ret) {
		ret = ld_fail_path(&l, &e);
		goto out;
	}
	*out = c;
	c = NULL;
out:
	if (ret == -ENOMEM && err && errlen)
		snprintf(err, errlen, "%s: out of memory", l.name);
	xlb_cfg_free(c);
	if (l.have_doc)
		yaml_document_delete(&l.doc);
	return ret;
}

/**
 * xlb_cfg_load() - see config.h
 *
 * The whole file is read into memory (at most XLB_CFG_FILE_MAX bytes) and
 * handed to xlb_cfg_parse() under its own name.
 */
int xlb_cfg_load(const char *path, struct xlb_cfg **out, char *err,
		 size_t errlen)
{
	bool parsed = false;
	char *text = NULL;
	size_t len = 0;
	int ret;

	if (out)
		*out = NULL;
	if (!path || !out)
		return -EINVAL;
	if (strlen(path) >= sizeof(((struct xlb_cfg *)0)->path)) {
		ret = -ENAMETOOLONG;
		goto out;
	}
	ret = xlb_file_read(path, XLB_CFG_FILE_MAX, &text, &len);
	if (!ret) {
		ret = xlb_cfg_parse(text, len, path, out, err, errlen);
		parsed = true;
	}
	if (!ret)
		snprintf((*out)->path, sizeof((*out)->path), "%s", path);
out:
	/* parse errors carry their own message */
	if (ret && !parsed && err && errlen)
		snprintf(err, errlen, "%s: cannot read: %s", path,
			 strerror(-ret));
	free(text);
	return ret;
}

/* --- dumping ------------------------------------------------------------- */

/**
 * struct out - the emitter's output buffer
 * @buf: malloc'd text
 * @len: bytes in it
 * @cap: room
 */
struct out {
	char *buf;
	size_t len;
	size_t cap;
};

static int out_write(void *data, unsigned char *s, size_t n)
{
	struct out *o = data;
	char *nb;

	if (o->len + n + 1 > o->cap) {
		size_t cap = (o->len + n + 1) * 2;

		nb = realloc(o->buf, cap);
		if (!nb)
			return 0;
		o->buf = nb;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
	return 1;
}

static int emit(yaml_emitter_t *em, yaml_event_t *ev, int ok)
{
	if (!ok)
		return -EINVAL; /* e.g. a string that is not UTF-8 */
	return yaml_emitter_emit(em, ev) ? 0 : -EINVAL;
}

/* Empty and null-looking strings are quoted, or they would load as null */
static int emit_str(yaml_emitter_t *em, const char *s)
{
	yaml_scalar_style_t st = YAML_ANY_SCALAR_STYLE;
	yaml_event_t ev;

	if (!*s || !strcmp(s, "~") || !strcasecmp(s, "null"))
		st = YAML_SINGLE_QUOTED_SCALAR_STYLE;
	return emit(em, &ev,
		    yaml_scalar_event_initialize(&ev, NULL, NULL,
						 (yaml_char_t *)s,
						 (int)strlen(s), 1, 1, st));
}

static int emit_start(yaml_emitter_t *em, bool seq, bool flow)
{
	yaml_event_t ev;

	if (seq)
		return emit(em, &ev,
			    yaml_sequence_start_event_initialize(
				    &ev, NULL, NULL, 1,
				    flow ? YAML_FLOW_SEQUENCE_STYLE :
					   YAML_BLOCK_SEQUENCE_STYLE));
	return emit(em, &ev,
		    yaml_mapping_start_event_initialize(
			    &ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
}

static int emit_end(yaml_emitter_t *em, bool seq)
{
	yaml_event_t ev;

	return emit(em, &ev,
		    seq ? yaml_sequence_end_event_initialize(&ev) :
			  yaml_mapping_end_event_initialize(&ev));
}

static int dump_obj(yaml_emitter_t *em, const struct xlb_obj *o,
		    const void *base);

static int dump_field(yaml_emitter_t *em, const struct xlb_field *f,
		      const void *base)
{
	const char *p = (const char *)base + f->off;
	size_t n = xlb_field_count(f, base), i;
	char buf[XLB_STR_MAX + 64];
	int err;

	switch (f->type) {
	case XLB_FT_OBJ:
		return dump_obj(em, f->sub, p);
	case XLB_FT_LIST:
		err = emit_start(em, true, false);
		for (i = 0; !err && i < n; i++)
			err = dump_obj(em, f->sub,
				       *(const char *const *)p +
					       i * f->sub->size);
		return err ? err : emit_end(em, true);
	case XLB_FT_PREFIX:
	case XLB_FT_STATUS:
	case XLB_FT_ARGV:
		err = emit_start(em, true, true);
		for (i = 0; !err && i < n; i++)
			err = emit_str(em, xlb_field_str(f, base, i, buf,
							 sizeof(buf)));
		return err ? err : emit_end(em, true);
	default:
		return emit_str(em,
				xlb_field_str(f, base, 0, buf, sizeof(buf)));
	}
}

static int dump_obj(yaml_emitter_t *em, const struct xlb_obj *o,
		    const void *base)
{
	const struct xlb_field *f;
	int err = emit_start(em, false, false);

	for (f = o->fields; !err && f->key; f++) {
		if (!xlb_field_shown(f, o, base, true))
			continue;
		err = emit_str(em, f->key);
		if (!err)
			err = dump_field(em, f, base);
	}
	return err ? err : emit_end(em, false);
}

static const char dump_header[] =
	"# xlb configuration.\n"
	"#\n"
	"# The running configuration, as written by xlb_cfg_dump() (xlbctl\n"
	"# config dump): the configuration file with the runtime overrides\n"
	"# (xlbctl config diff) folded in. xlbd never writes the configuration\n"
	"# file itself. Every key: see xlb.yaml.example.\n";

/**
 * xlb_cfg_dump() - see config.h
 *
 * Every value is written out, defaults included, except keys a check type
 * does not take, empty strings and a few values that are off by default,
 * so the file shows what runs.
 * Return: 0, -EINVAL (e.g. a string that is not UTF-8), -ENOMEM.
 */
int xlb_cfg_dump(const struct xlb_cfg *c, char **text)
{
	struct out o = { 0 };
	yaml_emitter_t em;
	yaml_event_t ev;
	int err;

	if (!c || !text)
		return -EINVAL;
	*text = NULL;
	if (!yaml_emitter_initialize(&em))
		return -ENOMEM;
	yaml_emitter_set_output(&em, out_write, &o);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	err = out_write(&o, (unsigned char *)dump_header,
			sizeof(dump_header) - 1) ?
		      0 :
		      -ENOMEM;
	if (!err)
		err = emit(&em, &ev,
			   yaml_stream_start_event_initialize(
				   &ev, YAML_UTF8_ENCODING));
	if (!err)
		err = emit(&em, &ev,
			   yaml_document_start_event_initialize(&ev, NULL, NULL,
								NULL, 1));
	if (!err)
		err = dump_obj(&em, &xlb_obj_root, c);
	if (!err)
		err = emit(&em, &ev,
			   yaml_document_end_event_initialize(&ev, 1));
	if (!err)
		err = emit(&em, &ev, yaml_stream_end_event_initialize(&ev));
	if (!err && !yaml_emitter_flush(&em))
		err = -EINVAL;
	if (err && em.error == YAML_MEMORY_ERROR)
		err = -ENOMEM;
	yaml_emitter_delete(&em);
	if (err)
		free(o.buf);
	else
		*text = o.buf;
	return err;
}

/**
 * xlb_cfg_save() - see config.h: mode 0640
 */
int xlb_cfg_save(const struct xlb_cfg *c, const char *path)
{
	char *text = NULL;
	int err;

	if (!c || !path || !*path)
		return -EINVAL;
	err = xlb_cfg_dump(c, &text);
	if (!err)
		err = xlb_file_replace(path, text, 0640);
	free(text);
	return err;
}
