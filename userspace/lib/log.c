// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: logging to stderr
 *
 * Lines go to stderr (journald picks them up under systemd), each prefixed
 * with the program name and level. libbpf's and libxdp's messages are
 * demoted to debug so an operator sees only what they can act on (libxdp
 * says "Compatibility check for dispatcher program failed" on every attach
 * where the kernel refuses its dispatcher; the attach code reports the
 * outcome itself).
 *
 * When stderr is the journal (systemd sets JOURNAL_STREAM to the device and
 * inode of the stream it gave us, and stderr still is that stream), each
 * line starts with the sd-daemon priority prefix ("<3>" for err, "<4>"
 * warn, "<6>" info, "<7>" debug): journald strips it and files the line
 * under that priority, so `journalctl -u xlbd -p warning` shows warnings
 * and errors only. On a terminal or in a file the lines stay plain.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"

static const char *log_prog = "xlb";
static enum xlb_log_level log_level = XLB_LOG_INFO;
static int log_ts;
static int log_journal; /* stderr is journald's stream: "<N>" prefixes */

/* syslog priorities of the levels (sd-daemon.h's SD_ERR ... SD_DEBUG) */
static const int level_prio[] = { 3, 4, 6, 7 };

static const char *const level_names[] = { "err", "warn", "info", "debug" };

/* a library's message, at debug level, without its trailing newlines */
static void lib_print(const char *lib, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t n;

	if (log_level < XLB_LOG_DEBUG)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n && buf[n - 1] == '\n')
		buf[--n] = '\0';
	xlb_log(XLB_LOG_DEBUG, "%s: %s", lib, buf);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	lib_print("libbpf", fmt, ap);
	return 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	(void)level;
	lib_print("libxdp", fmt, ap);
	return 0;
}

/* JOURNAL_STREAM is "DEV:INODE" of the stream systemd connected; a child
 * whose stderr was redirected inherits the variable but not the stream */
static int stderr_is_journal(void)
{
	const char *e = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st))
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void xlb_log_init(const char *prog, enum xlb_log_level level)
{
	log_prog = prog;
	log_level = level;
	log_journal = stderr_is_journal();
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}

void xlb_log_set_level(enum xlb_log_level level)
{
	log_level = level;
}

enum xlb_log_level xlb_log_get_level(void)
{
	return log_level;
}

void xlb_log_set_timestamps(int on)
{
	log_ts = on;
}

int xlb_log_level_parse(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (!strcasecmp(s, level_names[i]))
			return (int)i;
	if (!strcasecmp(s, "error"))
		return XLB_LOG_ERR;
	if (!strcasecmp(s, "warning"))
		return XLB_LOG_WARN;
	return -1;
}

const char *xlb_log_level_name(enum xlb_log_level level)
{
	if ((unsigned)level > XLB_LOG_DEBUG)
		return "?";
	return level_names[level];
}

void xlb_vlog(enum xlb_log_level level, const char *fmt, va_list ap)
{
	char ts[64] = "";
	struct timespec now;
	struct tm tm;

	if (level > log_level)
		return;
	if (log_ts) {
		clock_gettime(CLOCK_REALTIME, &now);
		gmtime_r(&now.tv_sec, &tm);
		strftime(ts, 24, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(ts + strlen(ts), sizeof(ts) - strlen(ts), ".%03dZ ",
			 (int)(now.tv_nsec / 1000000));
	}
	if (log_journal)
		fprintf(stderr, "<%d>", level_prio[level]);
	fprintf(stderr, "%s%s: %s: ", ts, log_prog, level_names[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void xlb_log(enum xlb_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xlb_vlog(level, fmt, ap);
	va_end(ap);
}
