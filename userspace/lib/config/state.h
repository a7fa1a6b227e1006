/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: runtime state file
 *
 * The configuration file belongs to the operator: xlbd never writes it.
 * Changes made at runtime (xlbctl, the API) are kept in a state file
 * (default XLB_DEFAULT_STATE_FILE), in the spirit of HAProxy's
 * server-state-file. It holds two configurations:
 *
 *  - base: the configuration file as xlbd last loaded it;
 *  - running: the configuration xlbd runs (base plus the runtime changes).
 *
 * The runtime overrides are the difference between the two, object by
 * object (a global, a check, a VIP's options, one backend). At start and
 * at reload xlbd loads the configuration file and merges three ways
 * (xlb_state_merge()): an object the operator did not touch in the file
 * (file == base) keeps its runtime override; an object the operator
 * changed in the file takes the file's version and its override is
 * dropped, with a note. The result is validated whole before it runs.
 *
 * The file is JSON (jansson); base and running are stored as the YAML
 * text of xlb_cfg_dump(), so they load back through the same parser and
 * validation as the configuration file. It is written atomically
 * (xlb_file_replace()) and removed when there is no override left.
 */
#ifndef XLB_STATE_H
#define XLB_STATE_H

#include <jansson.h>

#include "config.h"

#define XLB_DEFAULT_STATE_FILE "/var/lib/xlb/state.json"

/**
 * xlb_cfg_diff() - what differs from @from to @to
 *
 * Return: a JSON array (new reference) of changes, in a fixed order
 * (globals, interfaces, checks, VIPs, backends), each
 * {"object": "global"|"interface"|"check"|"vip"|"backend",
 *  "name": "...", "change": "added"|"removed"|"changed",
 *  "fields": {"key": [old, new], ...}} (fields: for "changed" only);
 * NULL without memory.
 */
json_t *xlb_cfg_diff(const struct xlb_cfg *from, const struct xlb_cfg *to);

/** xlb_diff_line() - one change of xlb_cfg_diff() as a line of text */
void xlb_diff_line(json_t *change, char *buf, size_t len);

/**
 * xlb_obj_json() - the object @base of kind @o as the file's keys, from
 * the field tables (struct xlb_obj), defaults included; empty strings,
 * unset optional values and keys its check type does not take left out;
 * lists of objects (a VIP's backends) too. Sections are flattened:
 * "lb.tables.conn_max".
 */
struct xlb_obj;
json_t *xlb_obj_json(const struct xlb_obj *o, const void *base);

/** xlb_hc_json() - a check as the file's keys: xlb_obj_json() of it */
json_t *xlb_hc_json(const struct xlb_hc_cfg *h);

/**
 * xlb_state_merge() - apply the overrides (@run relative to @base) to the
 * configuration file @file
 * @out: the merged configuration, not validated (xlb_cfg_validate() it)
 * @notes: one string appended per override dropped because the operator
 *         changed that object in the file
 *
 * Return: 0 or -ENOMEM.
 */
int xlb_state_merge(const struct xlb_cfg *base, const struct xlb_cfg *run,
		    const struct xlb_cfg *file, struct xlb_cfg **out,
		    json_t *notes);

/**
 * xlb_state_load() - read a state file
 * @cfg_path: the configuration file in use: a state file written for
 *            another one is refused
 * @base: set to the base configuration (xlb_cfg_free() it)
 * @run: set to the running configuration
 *
 * Return: 0, -ENOENT when there is no state file (no override), or
 * another negative errno with "PATH: what is wrong" in @err.
 */
int xlb_state_load(const char *path, const char *cfg_path,
		   struct xlb_cfg **base, struct xlb_cfg **run, char *err,
		   size_t errlen);

/**
 * xlb_state_save() - write the state file atomically, or remove it when
 * @run equals @base (no override). Return: 0 or a negative errno.
 */
int xlb_state_save(const char *path, const char *cfg_path,
		   const struct xlb_cfg *base, const struct xlb_cfg *run);

#endif /* XLB_STATE_H */
