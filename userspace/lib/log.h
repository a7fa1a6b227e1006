/* SPDX-License-Identifier: GPL-2.0-only */
/**
 * DOC: logging
 *
 * One line per event, with context first: "vip 192.0.2.10:80/tcp: backend
 * 10.0.0.3: down (connect: refused)". Levels are settable at runtime;
 * libbpf's own output is routed to debug.
 */
#ifndef XLB_LOG_H
#define XLB_LOG_H

#include <stdarg.h>

enum xlb_log_level {
	XLB_LOG_ERR = 0,
	XLB_LOG_WARN,
	XLB_LOG_INFO,
	XLB_LOG_DEBUG,
};

/** xlb_log_init() - set program name, level, and send libbpf to debug */
void xlb_log_init(const char *prog, enum xlb_log_level level);
void xlb_log_set_level(enum xlb_log_level level);
enum xlb_log_level xlb_log_get_level(void);
/** xlb_log_level_parse() - "err|warn|info|debug" -> level, -1 if unknown */
int xlb_log_level_parse(const char *s);
const char *xlb_log_level_name(enum xlb_log_level level);
/** xlb_log_set_timestamps() - prefix lines with a UTC timestamp */
void xlb_log_set_timestamps(int on);

void xlb_log(enum xlb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void xlb_vlog(enum xlb_log_level level, const char *fmt, va_list ap);

#define pr_err(...)   xlb_log(XLB_LOG_ERR, __VA_ARGS__)
#define pr_warn(...)  xlb_log(XLB_LOG_WARN, __VA_ARGS__)
#define pr_info(...)  xlb_log(XLB_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) xlb_log(XLB_LOG_DEBUG, __VA_ARGS__)

#endif /* XLB_LOG_H */
