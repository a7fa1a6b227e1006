// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: xlbd's core against a fake data path
 *
 * The core (userspace/xlbd/core.c, in build/libxlbd_core.a) is driven with
 * a fake struct xlb_dp_ops that keeps the maps in memory, logs every write
 * in order ("be 3 up", "ring 0", "vip-del ...") and fails the call it is
 * told to. A fake module (struct core_module) logs what the core tells the
 * modules. The cases check the orderings core.c promises:
 *
 * - a backend that becomes usable is written before the ring that names
 *   it is published; one that stops being usable only after;
 * - a data-path step that fails rolls the whole change back: the fake's
 *   maps, as a packet sees them, are what they were before;
 * - the state file records a change only after the data path took it, and
 *   a change it cannot record is taken back;
 * - a data path that is not whole makes every VIP unservable, and the
 *   modules (BGP) are told.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "log.h"
#include "userspace/xlbd/xlbd.h"

#define F_VIPS	  8
#define F_BES	  32
#define F_RING	  13
#define F_LOG	  512
#define F_ENTRIES (2 * F_VIPS)

/* --- the fake data path -------------------------------------------------- */

struct f_vip {
	bool used;
	struct xlb_addr a;
	__u16 port;
	__u8 proto;
	struct xlb_vip v;
};

struct f_marker {
	bool used;
	struct xlb_addr a;
	__u32 vip_id;
	__u16 flags;
	bool frag;
	__u8 proto;
	__u16 port;
};

struct fake {
	struct xlb_dp_sizes sz;
	struct xlb_config g;
	struct f_vip vips[F_ENTRIES];
	struct f_marker markers[F_ENTRIES];
	struct xlb_backend bes[F_BES];
	__u32 ring[F_VIPS][2][F_RING];
	/* every write, in order */
	char log[F_LOG][48];
	size_t n_log;
	/* fail the call of @fail_op numbered @fail_at (1: the next one) */
	const char *fail_op;
	int fail_at;
	/* verify */
	int verify_err;
	/* at every write: does @watch_file hold @watch_for? */
	const char *watch_file;
	const char *watch_for;
	bool watch_seen;
};

static struct fake F;

static void flog(const char *fmt, ...)
{
	va_list ap;

	assert_true(F.n_log < F_LOG);
	va_start(ap, fmt);
	vsnprintf(F.log[F.n_log++], sizeof(F.log[0]), fmt, ap);
	va_end(ap);
}

/* a write is about to happen: the injected failure, and the file watch */
static int fwrite_op(const char *op)
{
	if (F.watch_file) {
		char buf[8192] = "";
		FILE *fp = fopen(F.watch_file, "r");

		if (fp) {
			size_t n = fread(buf, 1, sizeof(buf) - 1, fp);

			buf[n] = '\0';
			fclose(fp);
		}
		if (strstr(buf, F.watch_for))
			F.watch_seen = true;
	}
	if (F.fail_op && !strcmp(F.fail_op, op) && --F.fail_at == 0) {
		flog("FAIL %s", op);
		return -EIO;
	}
	return 0;
}

static const struct xlb_dp_sizes *f_sizes(void *ctx)
{
	(void)ctx;
	return &F.sz;
}

static int f_config_get(void *ctx, struct xlb_config *g)
{
	(void)ctx;
	*g = F.g;
	return 0;
}

static int f_config_set(void *ctx, const struct xlb_config *g)
{
	int r = fwrite_op("config");

	(void)ctx;
	if (r)
		return r;
	F.g = *g;
	flog("config");
	return 0;
}

static struct f_vip *vip_find(const struct xlb_addr *a, __u16 port, __u8 proto)
{
	size_t i;

	for (i = 0; i < F_ENTRIES; i++)
		if (F.vips[i].used && F.vips[i].port == port &&
		    F.vips[i].proto == proto && xlb_addr_eq(&F.vips[i].a, a))
			return &F.vips[i];
	return NULL;
}

static int f_vip_del(void *ctx, const struct xlb_addr *a, __u16 port,
		     __u8 proto)
{
	struct f_vip *e = vip_find(a, port, proto);
	int r = fwrite_op("vip-del");

	(void)ctx;
	if (r)
		return r;
	if (!e)
		return -ENOENT;
	flog("vip-del %u", e->v.id);
	memset(e, 0, sizeof(*e));
	return 0;
}

static int f_vip_foreach(void *ctx, xlb_dp_vip_cb cb, void *arg)
{
	size_t i;
	int r;

	(void)ctx;
	for (i = 0; i < F_ENTRIES; i++) {
		if (!F.vips[i].used)
			continue;
		r = cb(&F.vips[i].a, F.vips[i].port, F.vips[i].proto,
		       &F.vips[i].v, arg);
		if (r)
			return r;
	}
	return 0;
}

static struct f_marker *marker_find(const struct xlb_addr *a)
{
	size_t i;

	for (i = 0; i < F_ENTRIES; i++)
		if (F.markers[i].used && xlb_addr_eq(&F.markers[i].a, a))
			return &F.markers[i];
	return NULL;
}

static int f_marker_set(void *ctx, const struct xlb_addr *a, __u32 vip_id,
			__u16 flags, bool frag, __u8 proto, __u16 port)
{
	struct f_marker *m = marker_find(a);
	size_t i;
	int r = fwrite_op("marker");

	(void)ctx;
	if (r)
		return r;
	for (i = 0; !m && i < F_ENTRIES; i++)
		if (!F.markers[i].used)
			m = &F.markers[i];
	if (!m)
		return -ENOSPC;
	*m = (struct f_marker){ .used = true,
				.a = *a,
				.vip_id = vip_id,
				.flags = flags,
				.frag = frag,
				.proto = frag ? proto : 0,
				.port = frag ? port : 0 };
	flog("marker %u", vip_id);
	return 0;
}

static int f_marker_del(void *ctx, const struct xlb_addr *a)
{
	struct f_marker *m = marker_find(a);
	int r = fwrite_op("marker-del");

	(void)ctx;
	if (r)
		return r;
	if (!m)
		return -ENOENT;
	flog("marker-del %u", m->vip_id);
	memset(m, 0, sizeof(*m));
	return 0;
}

static int f_ring_read(void *ctx, __u32 vip_id, __u32 copy, __u32 *slots,
		       __u32 n)
{
	(void)ctx;
	if (vip_id >= F_VIPS || copy > 1 || n > F_RING)
		return -ERANGE;
	memcpy(slots, F.ring[vip_id][copy], n * sizeof(__u32));
	return 0;
}

static int f_ring_publish(void *ctx, const struct xlb_addr *a, __u16 port,
			  __u8 proto, struct xlb_vip *v, const __u32 *slots,
			  __u32 n)
{
	struct xlb_vip nv = *v;
	struct f_vip *e = vip_find(a, port, proto);
	size_t i;
	int r = fwrite_op("ring");

	(void)ctx;
	if (r)
		return r;
	if (v->id >= F_VIPS || n > F_RING)
		return -ERANGE;
	nv.active = !(v->active & 1);
	nv.ring_size = n;
	memcpy(F.ring[v->id][nv.active], slots, n * sizeof(__u32));
	for (i = 0; !e && i < F_ENTRIES; i++)
		if (!F.vips[i].used)
			e = &F.vips[i];
	if (!e)
		return -ENOSPC;
	*e = (struct f_vip){
		.used = true, .a = *a, .port = port, .proto = proto, .v = nv
	};
	*v = nv;
	flog("ring %u", v->id);
	return 0;
}

static int f_backend_get(void *ctx, __u32 id, struct xlb_backend *b)
{
	(void)ctx;
	if (id >= F_BES)
		return -ERANGE;
	*b = F.bes[id];
	return 0;
}

static int f_backend_set(void *ctx, __u32 id, const struct xlb_backend *b)
{
	int r = fwrite_op("be");

	(void)ctx;
	if (r)
		return r;
	if (id >= F_BES)
		return -ERANGE;
	F.bes[id] = *b;
	flog("be %u %s", id, be_state_str(b->state));
	return 0;
}

static int f_stats_clear(void *ctx, __u32 id)
{
	(void)ctx;
	(void)id;
	return 0;
}

static int f_ifaces_check(void *ctx, const struct xlb_cfg *c, char *err,
			  size_t errlen)
{
	(void)ctx;
	(void)c;
	(void)err;
	(void)errlen;
	return 0;
}

static int f_ifaces_reconcile(void *ctx, char *err, size_t errlen)
{
	int r = fwrite_op("ifaces");

	(void)ctx;
	if (r)
		snprintf(err, errlen, "interface eth0: attach: %s",
			 strerror(-r));
	return r;
}

static int f_verify(void *ctx, bool *attached, char *err, size_t errlen)
{
	(void)ctx;
	*attached = true;
	if (F.verify_err)
		snprintf(err, errlen, "the program on eth0 uses other maps");
	return F.verify_err;
}

static const struct xlb_dp_ops fake_ops = {
	.sizes = f_sizes,
	.config_get = f_config_get,
	.config_set = f_config_set,
	.vip_del = f_vip_del,
	.vip_foreach = f_vip_foreach,
	.marker_set = f_marker_set,
	.marker_del = f_marker_del,
	.ring_read = f_ring_read,
	.ring_publish = f_ring_publish,
	.backend_get = f_backend_get,
	.backend_set = f_backend_set,
	.stats_vip_clear = f_stats_clear,
	.stats_backend_clear = f_stats_clear,
	.ifaces_check = f_ifaces_check,
	.ifaces_reconcile = f_ifaces_reconcile,
	.verify = f_verify,
};

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The maps as a packet sees them, one sorted line per entry: VIP entries
 * with their active ring, markers, the global entry, and the backends a
 * ring may name (an entry marked removed is never picked, so only its
 * state counts: its generation moves on by design).
 */
static char *fake_view(void)
{
	char *lines[F_ENTRIES * 2 + F_BES + 1], *out;
	char as[XLB_ADDR_STRLEN];
	size_t n = 0, i, j, len = 1;

	for (i = 0; i < F_ENTRIES; i++) {
		const struct f_vip *e = &F.vips[i];
		char buf[512];
		int k;

		if (!e->used)
			continue;
		k = snprintf(buf, sizeof(buf),
			     "vip %s %u %u id %u fwd %u "
			     "flags %u ring",
			     xlb_addr_str(&e->a, as), e->port, e->proto,
			     e->v.id, e->v.fwd, e->v.flags);
		for (j = 0; j < e->v.ring_size && j < F_RING; j++)
			k += snprintf(buf + k, sizeof(buf) - k, " %u",
				      F.ring[e->v.id][e->v.active][j]);
		lines[n++] = strdup(buf);
	}
	for (i = 0; i < F_ENTRIES; i++) {
		const struct f_marker *m = &F.markers[i];
		char buf[128];

		if (!m->used)
			continue;
		snprintf(buf, sizeof(buf), "marker %s %u %u %d %u %u",
			 xlb_addr_str(&m->a, as), m->vip_id, m->flags, m->frag,
			 m->proto, m->port);
		lines[n++] = strdup(buf);
	}
	for (i = 0; i < F_BES; i++) {
		const struct xlb_backend *b = &F.bes[i];
		char buf[256];

		if (b->state == XLB_BE_REMOVED)
			continue;
		snprintf(buf, sizeof(buf),
			 "be %zu state %u vip %u gen %u fam %u addr %08x", i,
			 b->state, b->vip_id, b->gen, b->family, b->addr[0]);
		lines[n++] = strdup(buf);
	}
	{
		char buf[128];

		snprintf(buf, sizeof(buf), "config src4 %08x seed %u flags %u",
			 F.g.src4, F.g.hash_seed, F.g.flags);
		lines[n++] = strdup(buf);
	}
	qsort(lines, n, sizeof(lines[0]), line_cmp);
	for (i = 0; i < n; i++)
		len += strlen(lines[i]) + 1;
	out = calloc(1, len);
	assert_non_null(out);
	for (i = 0; i < n; i++) {
		strcat(out, lines[i]);
		strcat(out, "\n");
		free(lines[i]);
	}
	return out;
}

/* position of the first log line starting with @what at or after @from */
static long log_find(const char *what, size_t from)
{
	size_t i;

	for (i = from; i < F.n_log; i++)
		if (!strncmp(F.log[i], what, strlen(what)))
			return (long)i;
	return -1;
}

static void log_print(void)
{
	size_t i;

	for (i = 0; i < F.n_log; i++)
		print_message("#   %zu: %s\n", i, F.log[i]);
}

/* --- a fake module: what the core tells the modules ----------------------- */

static bool servable_seen[F_VIPS];
static int n_servable_calls;

static void m_be_new(void *ctx, struct be_rt *b)
{
	(void)ctx;
	b->nh.state = XLB_NH_OK; /* as next hops would resolve it */
	flog("mod new %u", b->id);
}

static void m_be_forget(void *ctx, struct be_rt *b)
{
	(void)ctx;
	flog("mod forget %u", b->id);
}

static void m_vip_gone(void *ctx, struct vip_rt *v)
{
	(void)ctx;
	flog("mod vip-gone %u", v->id);
}

static void m_servable(void *ctx)
{
	struct xlbd *d = ctx;
	size_t i;

	n_servable_calls++;
	for (i = 0; i < d->n_vips; i++)
		servable_seen[d->vips[i]->id] = d->vips[i]->servable;
}

/* --- fixtures -------------------------------------------------------------- */

#define BASE_YAML                  \
	"interfaces:\n"            \
	"  - name: eth0\n"         \
	"lb:\n"                    \
	"  source4: 10.0.0.1\n"    \
	"  tables:\n"              \
	"    ring_max: 13\n"       \
	"vips:\n"                  \
	"  - address: 192.0.2.1\n" \
	"    port: 80\n"           \
	"    protocol: tcp\n"      \
	"    ring_size: 13\n"      \
	"    backends:\n"          \
	"      - address: 10.0.0.2\n"

/* VIP 192.0.2.1:80 with backends 10.0.0.2 and 10.0.0.3 */
static const char two_yaml[] = BASE_YAML "      - address: 10.0.0.3\n";

/* that, and a second VIP */
static const char two_vips_yaml[] = BASE_YAML "      - address: 10.0.0.3\n"
					      "  - address: 192.0.2.2\n"
					      "    port: 53\n"
					      "    protocol: udp\n"
					      "    ring_size: 13\n"
					      "    backends:\n"
					      "      - address: 10.0.0.4\n";

struct t {
	struct xlbd d;
	char dir[64];
	char state[128];
};

static struct xlb_cfg *parse(const char *text)
{
	struct xlb_cfg *c = NULL;
	char err[512];
	int r;

	r = xlb_cfg_parse(text, strlen(text), "t.yaml", &c, err, sizeof(err));
	if (r)
		print_error("unexpected error: %s\n", err);
	assert_int_equal(r, 0);
	return c;
}

static int setup(void **state)
{
	struct core_module m = { .be_new = m_be_new,
				 .be_forget = m_be_forget,
				 .vip_gone = m_vip_gone,
				 .servable = m_servable };
	struct t *t = calloc(1, sizeof(*t));
	char err[512];

	assert_non_null(t);
	memset(&F, 0, sizeof(F));
	memset(servable_seen, 0, sizeof(servable_seen));
	n_servable_calls = 0;
	F.sz.max_vips = F_VIPS;
	F.sz.max_backends = F_BES;
	F.sz.ring_max = F_RING;
	snprintf(t->dir, sizeof(t->dir), "/tmp/xlb-test-core.XXXXXX");
	assert_non_null(mkdtemp(t->dir));
	snprintf(t->state, sizeof(t->state), "%s/state.json", t->dir);
	t->d.dp_ops = &fake_ops;
	t->d.dp_ctx = &F;
	t->d.dp_ok = true;
	t->d.opts.state_file = t->state;
	t->d.opts.log_level_set = true;
	snprintf(t->d.cfg_file, sizeof(t->d.cfg_file), "%s/xlb.yaml", t->dir);
	xlb_log_set_level(XLB_LOG_WARN);
	assert_int_equal(core_init(&t->d), 0);
	m.ctx = &t->d;
	assert_int_equal(core_register(&t->d, &m), 0);
	/* xlbd's start: the file, no state file yet, applied */
	t->d.file_cfg = parse(two_yaml);
	assert_int_equal(core_apply(&t->d, parse(two_yaml), err, sizeof(err)),
			 0);
	core_dp_verify(&t->d);
	F.n_log = 0;
	*state = t;
	return 0;
}

static int teardown(void **state)
{
	struct t *t = *state;

	core_free(&t->d);
	xlb_cfg_free(t->d.cfg);
	xlb_cfg_free(t->d.file_cfg);
	unlink(t->state);
	rmdir(t->dir);
	free(t);
	return 0;
}

static __u32 be_id(struct xlbd *d, const char *vip, __u16 port, __u8 proto,
		   const char *be)
{
	struct xlb_addr a, b;
	struct vip_rt *v;
	struct be_rt *r;

	assert_int_equal(xlb_addr_parse(vip, &a), 0);
	assert_int_equal(xlb_addr_parse(be, &b), 0);
	v = core_find_vip(d, &a, port, proto);
	assert_non_null(v);
	r = core_find_be(v, &b);
	assert_non_null(r);
	return r->id;
}

static bool ring_has(__u32 vip_id, __u32 be)
{
	size_t i;

	for (i = 0; i < F_ENTRIES; i++) {
		const struct f_vip *e = &F.vips[i];
		__u32 j;

		if (!e->used || e->v.id != vip_id)
			continue;
		for (j = 0; j < e->v.ring_size; j++)
			if (F.ring[vip_id][e->v.active][j] == be)
				return true;
	}
	return false;
}

/* --- cases ------------------------------------------------------------------ */

/* A new backend's entry (up) is written before the ring that names it. */
static void backend_written_before_ring(void **state)
{
	struct t *t = *state;
	char err[512] = "", what[32];
	long be, ring;
	__u32 id;

	assert_int_equal(
		core_change(&t->d, parse(two_vips_yaml), err, sizeof(err)), 0);
	id = be_id(&t->d, "192.0.2.2", 53, IPPROTO_UDP, "10.0.0.4");
	assert_true(ring_has(t->d.vips[1]->id, id));
	snprintf(what, sizeof(what), "be %u up", id);
	be = log_find(what, 0);
	snprintf(what, sizeof(what), "ring %u", t->d.vips[1]->id);
	ring = log_find(what, 0);
	if (be < 0 || ring < 0 || be > ring)
		log_print();
	assert_true(be >= 0 && ring >= 0);
	assert_true(be < ring);
}

/* A backend that goes leaves the ring first; its entry is marked removed
 * (and its probe dropped) only after. */
static void backend_removed_after_ring(void **state)
{
	struct t *t = *state;
	char err[512] = "", what[32];
	long be, ring, forget;
	__u32 id = be_id(&t->d, "192.0.2.1", 80, IPPROTO_TCP, "10.0.0.3");
	__u32 vid = t->d.vips[0]->id;

	assert_true(ring_has(vid, id));
	assert_int_equal(core_change(&t->d, parse(BASE_YAML), err, sizeof(err)),
			 0);
	assert_false(ring_has(vid, id));
	snprintf(what, sizeof(what), "ring %u", vid);
	ring = log_find(what, 0);
	snprintf(what, sizeof(what), "be %u removed", id);
	be = log_find(what, 0);
	snprintf(what, sizeof(what), "mod forget %u", id);
	forget = log_find(what, 0);
	if (be < 0 || ring < 0 || ring > be || forget < be)
		log_print();
	assert_true(be >= 0 && ring >= 0);
	assert_true(ring < be);
	assert_true(be < forget);
}

/* A backend set down: ring first, then its entry (the same order). */
static void backend_down_after_ring(void **state)
{
	struct t *t = *state;
	char err[512] = "", what[32];
	long be, ring;
	__u32 id = be_id(&t->d, "192.0.2.1", 80, IPPROTO_TCP, "10.0.0.3");

	assert_int_equal(core_change(&t->d,
				     parse(BASE_YAML "      - address: "
						     "10.0.0.3\n"
						     "        state: down\n"),
				     err, sizeof(err)),
			 0);
	snprintf(what, sizeof(what), "ring %u", t->d.vips[0]->id);
	ring = log_find(what, 0);
	snprintf(what, sizeof(what), "be %u removed", id);
	be = log_find(what, 0);
	if (be < 0 || ring < 0 || ring > be)
		log_print();
	assert_true(be >= 0 && ring >= 0);
	assert_true(ring < be);
}

/* A VIP that goes: its entry is deleted first (no packet reaches its
 * ring), then its backends are marked removed, then the modules (BGP) are
 * told, so a VIP id is never reused with another VIP's state. */
static void vip_removed_then_modules_told(void **state)
{
	struct t *t = *state;
	char err[512] = "", what[32];
	long del, be, gone;
	__u32 vid, id;

	assert_int_equal(
		core_change(&t->d, parse(two_vips_yaml), err, sizeof(err)), 0);
	vid = t->d.vips[1]->id;
	id = be_id(&t->d, "192.0.2.2", 53, IPPROTO_UDP, "10.0.0.4");
	F.n_log = 0;
	assert_int_equal(core_change(&t->d, parse(two_yaml), err, sizeof(err)),
			 0);
	snprintf(what, sizeof(what), "vip-del %u", vid);
	del = log_find(what, 0);
	snprintf(what, sizeof(what), "be %u removed", id);
	be = log_find(what, 0);
	snprintf(what, sizeof(what), "mod vip-gone %u", vid);
	gone = log_find(what, 0);
	if (del < 0 || be < del || gone < be)
		log_print();
	assert_true(del >= 0);
	assert_true(del < be);
	assert_true(be < gone);
}

/*
 * Each data-path step of a change, failing in turn, leaves the maps as
 * they were and the running configuration unchanged.
 */
static void failing_step_rolls_back(void **state)
{
	static const char *const ops[] = { "config", "ring", "be", "marker",
					   "ifaces" };
	struct t *t = *state;
	size_t i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		char err[512] = "", *before, *after;
		struct xlb_cfg *old = xlb_cfg_dup(t->d.cfg);
		int at;

		for (at = 1;; at++) {
			struct xlb_cfg *next = parse(two_vips_yaml);
			int r;

			/* the weight of a kept backend changes too */
			next->vips[0].backends[0].weight = 7;
			before = fake_view();
			F.n_log = 0;
			F.fail_op = ops[i];
			F.fail_at = at;
			err[0] = '\0';
			r = core_change(&t->d, next, err, sizeof(err));
			F.fail_op = NULL;
			if (!r) {
				/* every call of ops[i] has been failed once:
				 * put the start back for the next op */
				free(before);
				assert_int_equal(core_change(&t->d,
							     parse(two_yaml),
							     err, sizeof(err)),
						 0);
				break;
			}
			after = fake_view();
			if (strcmp(before, after)) {
				print_error("failing %s #%d (%s):\nbefore:\n%s"
					    "after:\n%s",
					    ops[i], at, err, before, after);
				log_print();
			}
			assert_string_equal(before, after);
			assert_true(xlb_cfg_equal(t->d.cfg, old));
			assert_non_null(strstr(err, "nothing changed"));
			free(before);
			free(after);
		}
		/* it did fail at least once */
		assert_true(at > 1);
		xlb_cfg_free(old);
	}
}

/* The state file gets the change only once the data path took it. */
static void state_saved_after_apply(void **state)
{
	struct t *t = *state;
	char err[512] = "", buf[8192] = "";
	FILE *fp;
	size_t n;

	F.watch_file = t->state;
	F.watch_for = "10.0.0.4";
	assert_int_equal(
		core_change(&t->d, parse(two_vips_yaml), err, sizeof(err)), 0);
	/* no data-path write saw the change in the file */
	assert_false(F.watch_seen);
	fp = fopen(t->state, "r");
	assert_non_null(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	assert_non_null(strstr(buf, "10.0.0.4"));
}

/* A change the data path refuses never reaches the state file. */
static void refused_change_not_saved(void **state)
{
	struct t *t = *state;
	char err[512] = "";

	F.watch_file = t->state;
	F.watch_for = "10.0.0.4";
	F.fail_op = "ring";
	F.fail_at = 1; /* the new VIP's ring (the other one is unchanged) */
	assert_int_not_equal(
		core_change(&t->d, parse(two_vips_yaml), err, sizeof(err)), 0);
	assert_false(F.watch_seen);
	assert_int_equal(access(t->state, F_OK), -1);
}

/* A change the state file cannot record is taken back from the data
 * path: what runs is what a restart would run. */
static void unsaved_change_taken_back(void **state)
{
	struct t *t = *state;
	char err[512] = "", *before, *after;
	struct xlb_cfg *old = xlb_cfg_dup(t->d.cfg);

	before = fake_view();
	/* a state file in a directory that does not exist */
	snprintf(t->state, sizeof(t->state), "%s/missing/state.json", t->dir);
	assert_int_not_equal(
		core_change(&t->d, parse(two_vips_yaml), err, sizeof(err)), 0);
	assert_non_null(strstr(err, "saving the state file"));
	assert_non_null(strstr(err, "nothing changed"));
	after = fake_view();
	assert_string_equal(before, after);
	assert_true(xlb_cfg_equal(t->d.cfg, old));
	snprintf(t->state, sizeof(t->state), "%s/state.json", t->dir);
	free(before);
	free(after);
	xlb_cfg_free(old);
}

/* lb.outer_ttl is a constant of the loaded program (.rodata): a reload
 * that changes it is refused with one line, and what runs stays. */
static void outer_ttl_reload_refused(void **state)
{
	struct t *t = *state;
	const char *lb = strstr(two_yaml, "lb:\n") + 4;
	char err[512] = "", path[96], text[1024], *before, *after;
	json_t *plan = NULL, *dropped = NULL;
	struct xlb_cfg *old;
	FILE *fp;

	/* the file xlbd started with, and lb.outer_ttl: 63 */
	snprintf(path, sizeof(path), "%s/xlb.yaml", t->dir);
	snprintf(text, sizeof(text), "%.*s  outer_ttl: 63\n%s",
		 (int)(lb - two_yaml), two_yaml, lb);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	snprintf(t->d.cfg->path, sizeof(t->d.cfg->path), "%s", path);
	old = xlb_cfg_dup(t->d.cfg);
	assert_int_equal(old->outer_ttl, 64);
	before = fake_view();
	assert_int_equal(
		core_reload(&t->d, false, &plan, &dropped, err, sizeof(err)),
		-EINVAL);
	assert_non_null(strstr(err, "lb.outer_ttl 64 -> 63"));
	assert_non_null(strstr(err, "nothing changed"));
	assert_null(strchr(err, '\n'));
	after = fake_view();
	assert_string_equal(before, after);
	assert_true(xlb_cfg_equal(t->d.cfg, old));
	assert_int_equal(access(t->state, F_OK), -1);
	json_decref(plan);
	json_decref(dropped);
	unlink(path);
	free(before);
	free(after);
	xlb_cfg_free(old);
}

/* A data path that is not whole withdraws every VIP, and the modules are
 * told; whole again, the VIPs come back. */
static void unhealthy_dp_withdraws(void **state)
{
	struct t *t = *state;
	__u32 vid = t->d.vips[0]->id;
	int calls;

	assert_true(t->d.vips[0]->servable);
	assert_true(servable_seen[vid]);
	calls = n_servable_calls;
	F.verify_err = -ESTALE;
	core_dp_verify(&t->d);
	assert_false(t->d.dp_ok);
	assert_false(t->d.vips[0]->servable);
	assert_true(n_servable_calls > calls);
	assert_false(servable_seen[vid]);
	F.verify_err = 0;
	core_dp_verify(&t->d);
	assert_true(t->d.vips[0]->servable);
	assert_true(servable_seen[vid]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(backend_written_before_ring,
						setup, teardown),
		cmocka_unit_test_setup_teardown(backend_removed_after_ring,
						setup, teardown),
		cmocka_unit_test_setup_teardown(backend_down_after_ring, setup,
						teardown),
		cmocka_unit_test_setup_teardown(vip_removed_then_modules_told,
						setup, teardown),
		cmocka_unit_test_setup_teardown(failing_step_rolls_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(state_saved_after_apply, setup,
						teardown),
		cmocka_unit_test_setup_teardown(refused_change_not_saved, setup,
						teardown),
		cmocka_unit_test_setup_teardown(unsaved_change_taken_back,
						setup, teardown),
		cmocka_unit_test_setup_teardown(unhealthy_dp_withdraws, setup,
						teardown),
		cmocka_unit_test_setup_teardown(outer_ttl_reload_refused, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("core", tests, NULL, NULL);
}
