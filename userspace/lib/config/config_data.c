// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: configuration data
 *
 * struct xlb_cfg as data: free, deep copy, comparison, and the lookups and
 * edits the API makes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_priv.h"
#include "fields.h"

/* --- lifecycle ---------------------------------------------------------- */

/** xlb_cfg_free() - free @c and every array it owns; NULL is fine */
void xlb_cfg_free(struct xlb_cfg *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n_vips; i++)
		free(c->vips[i].backends);
	free(c->vips);
	free(c->checks);
	free(c->ifaces);
	free(c);
}

/* A copy of @n elements of @size at @src; NULL for none (or no memory:
 * the caller tells the two apart by @n). */
static void *memdup(const void *src, size_t n, size_t size)
{
	void *p;

	if (!n)
		return NULL;
	p = malloc(n * size);
	if (p)
		memcpy(p, src, n * size);
	return p;
}

/**
 * xlb_cfg_dup() - a deep copy of @c
 *
 * Return: the copy, or NULL (no memory, or @c is NULL).
 */
struct xlb_cfg *xlb_cfg_dup(const struct xlb_cfg *c)
{
	struct xlb_cfg *d;
	size_t i;

	if (!c)
		return NULL;
	d = malloc(sizeof(*d));
	if (!d)
		return NULL;
	*d = *c;
	d->ifaces = memdup(c->ifaces, c->n_ifaces, sizeof(*c->ifaces));
	d->checks = memdup(c->checks, c->n_checks, sizeof(*c->checks));
	d->vips = memdup(c->vips, c->n_vips, sizeof(*c->vips));
	if ((c->n_ifaces && !d->ifaces) || (c->n_checks && !d->checks) ||
	    (c->n_vips && !d->vips)) {
		d->n_vips = 0;
		goto fail;
	}
	for (i = 0; i < c->n_vips; i++) {
		d->vips[i].backends =
			memdup(c->vips[i].backends, c->vips[i].n_backends,
			       sizeof(*c->vips[i].backends));
		if (c->vips[i].n_backends && !d->vips[i].backends) {
			d->n_vips = i;
			goto fail;
		}
	}
	return d;
fail:
	xlb_cfg_free(d);
	return NULL;
}

/* --- comparison --------------------------------------------------------- */

/**
 * xlb_cfg_equal() - same content, path ignored
 *
 * Every key of the field tables, in order (the file's order is content
 * too); a disabled bgp section equals any other disabled one, whatever its
 * fields hold, since it is not part of the file (xlb_obj_equal()).
 */
bool xlb_cfg_equal(const struct xlb_cfg *a, const struct xlb_cfg *b)
{
	if (!a || !b)
		return a == b;
	return xlb_obj_equal(&xlb_obj_root, a, b);
}

/* --- lookups and edits -------------------------------------------------- */

/** xlb_cfg_find_vip() - the VIP (@a, @port, @proto); NULL if absent */
struct xlb_vip_cfg *xlb_cfg_find_vip(const struct xlb_cfg *c,
				     const struct xlb_addr *a, __u16 port,
				     __u8 proto)
{
	size_t i;

	for (i = 0; c && a && i < c->n_vips; i++)
		if (c->vips[i].port == port && c->vips[i].proto == proto &&
		    xlb_cfg_addr_same(&c->vips[i].addr, a))
			return &c->vips[i];
	return NULL;
}

/** xlb_vip_find_backend() - the backend of @v at @a; NULL if absent */
struct xlb_backend_cfg *xlb_vip_find_backend(const struct xlb_vip_cfg *v,
					     const struct xlb_addr *a)
{
	size_t i;

	for (i = 0; v && a && i < v->n_backends; i++)
		if (xlb_cfg_addr_same(&v->backends[i].addr, a))
			return &v->backends[i];
	return NULL;
}

/** xlb_cfg_find_check() - the check named @name; NULL if absent */
const struct xlb_hc_cfg *xlb_cfg_find_check(const struct xlb_cfg *c,
					    const char *name)
{
	size_t i;

	for (i = 0; c && name && i < c->n_checks; i++)
		if (!strcmp(c->checks[i].name, name))
			return &c->checks[i];
	return NULL;
}

/**
 * xlb_cfg_add_vip() - append a copy of @v (and of its backends)
 *
 * Return: 0, -EEXIST if @c has a VIP with the same address, port and
 * protocol, -EINVAL, -ENOMEM. The result is not validated.
 */
int xlb_cfg_add_vip(struct xlb_cfg *c, const struct xlb_vip_cfg *v)
{
	struct xlb_backend_cfg *be = NULL;
	struct xlb_vip_cfg *vips;

	if (!c || !v || (v->n_backends && !v->backends))
		return -EINVAL;
	if (xlb_cfg_find_vip(c, &v->addr, v->port, v->proto))
		return -EEXIST;
	be = memdup(v->backends, v->n_backends, sizeof(*be));
	if (v->n_backends && !be)
		return -ENOMEM;
	vips = realloc(c->vips, (c->n_vips + 1) * sizeof(*vips));
	if (!vips) {
		free(be);
		return -ENOMEM;
	}
	c->vips = vips;
	c->vips[c->n_vips] = *v;
	c->vips[c->n_vips].backends = be;
	c->n_vips++;
	return 0;
}

/**
 * xlb_cfg_del_vip() - remove a VIP and its backends
 *
 * Return: 0 or -ENOENT. Pointers into c->vips are invalid afterwards.
 */
int xlb_cfg_del_vip(struct xlb_cfg *c, const struct xlb_addr *a, __u16 port,
		    __u8 proto)
{
	struct xlb_vip_cfg *v = xlb_cfg_find_vip(c, a, port, proto);
	size_t i;

	if (!v)
		return -ENOENT;
	i = (size_t)(v - c->vips);
	free(v->backends);
	memmove(v, v + 1, (c->n_vips - i - 1) * sizeof(*v));
	c->n_vips--;
	return 0;
}

/**
 * xlb_vip_add_backend() - append a copy of @b to @v
 *
 * Return: 0, -EEXIST if @v has a backend with that address, -EINVAL,
 * -ENOMEM. Pointers into v->backends are invalid afterwards.
 */
int xlb_vip_add_backend(struct xlb_vip_cfg *v, const struct xlb_backend_cfg *b)
{
	struct xlb_backend_cfg *be;

	if (!v || !b)
		return -EINVAL;
	if (xlb_vip_find_backend(v, &b->addr))
		return -EEXIST;
	be = realloc(v->backends, (v->n_backends + 1) * sizeof(*be));
	if (!be)
		return -ENOMEM;
	v->backends = be;
	v->backends[v->n_backends++] = *b;
	return 0;
}

/**
 * xlb_vip_del_backend() - remove the backend with address @a from @v
 *
 * Return: 0 or -ENOENT.
 */
int xlb_vip_del_backend(struct xlb_vip_cfg *v, const struct xlb_addr *a)
{
	struct xlb_backend_cfg *b = xlb_vip_find_backend(v, a);
	size_t i;

	if (!b)
		return -ENOENT;
	i = (size_t)(b - v->backends);
	memmove(b, b + 1, (v->n_backends - i - 1) * sizeof(*b));
	v->n_backends--;
	return 0;
}
