// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: xlbd - the xlb controller
 *
 * Start-up order matters: the configuration is validated before anything
 * is touched; the maps are created or re-adopted; the runtime tables are
 * rebuilt from them (so a restart keeps ids, generations and states);
 * the configuration is applied; only then is the program attached (or
 * re-adopted, or upgraded in place), and only after that do the API and
 * the announcements start.
 *
 * Stopping leaves the data path forwarding with its last state. `xlbd
 * --cleanup` or `xlbctl dp detach` remove it on purpose.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "attach.h"
#include "log.h"
#include "state.h"
#include "xlbd.h"

static struct xlbd xlbd;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: xlbd [OPTIONS]\n"
		"\n"
		"The xlb controller: loads the XDP balancer, keeps its maps in "
		"step with\nthe configuration and with health checks, and "
		"serves the xlbctl API.\n"
		"\n"
		"  -c, --config FILE     configuration (default %s)\n"
		"      --check           validate the configuration and exit\n"
		"  -p, --pin-dir DIR     pinned maps (default %s)\n"
		"  -s, --socket PATH     API socket (default: api.socket)\n"
		"  -l, --log-level L     err, warn, info or debug (default: "
		"log.level)\n"
		"  -T, --timestamps      prefix log lines with the UTC time "
		"(ms); journald\n"
		"                        adds its own, so the unit does not "
		"use it\n"
		"      --state-file FILE runtime changes, kept over the "
		"configuration file\n"
		"                        (default %s)\n"
		"      --no-attach       manage the maps only, attach nothing\n"
		"      --cleanup         detach the program from the "
		"configured interfaces,\n"
		"                        remove the pinned maps, and exit\n"
		"  -h, --help            this text\n"
		"  -V, --version         version\n",
		XLB_DEFAULT_CONFIG, XLB_PIN_DIR, XLB_DEFAULT_STATE_FILE);
}

static void xlbd_reload(struct xlbd *d)
{
	json_t *plan = NULL, *dropped = NULL;
	char err[512];
	int r;

	r = core_reload(d, false, &plan, &dropped, err, sizeof(err));
	if (r)
		pr_err("reload: %s (running configuration unchanged)", err);
	else
		pr_info("reloaded %s: %zu changes", d->cfg->path,
			json_array_size(plan));
	json_decref(plan);
	json_decref(dropped);
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct xlbd *d = s->data;

	if (signum == SIGHUP)
		xlbd_reload(d);
	else
		xlbd_stop(d);
}

static void on_tick(uv_timer_t *t)
{
	struct xlbd *d = t->data;

	core_dp_verify(d);
	metrics_refresh(d);
}

static int cleanup_only(const char *config, const char *pin_dir)
{
	struct xlb_cfg *c = NULL;
	char err[512];
	size_t i;
	int r, ifindex, ret = 0;

	r = xlb_cfg_load(config, &c, err, sizeof(err));
	if (r) {
		pr_warn("%s; unpinning only", err);
	} else {
		for (i = 0; i < c->n_ifaces; i++) {
			ifindex = (int)if_nametoindex(c->ifaces[i].name);
			if (!ifindex)
				continue;
			r = xlb_detach(ifindex);
			if (r) {
				pr_err("interface %s: detach: %s",
				       c->ifaces[i].name, strerror(-r));
				ret = 1;
			} else {
				pr_info("interface %s: detached",
					c->ifaces[i].name);
			}
		}
		xlb_cfg_free(c);
	}
	r = xlb_dp_unpin(pin_dir);
	if (r) {
		pr_err("unpin %s: %s", pin_dir, strerror(-r));
		ret = 1;
	} else {
		pr_info("removed pinned maps in %s", pin_dir);
	}
	return ret;
}

/* pid of the process holding a flock() on @path, from /proc/locks; 0 if
 * not found */
static int lock_holder(const char *path)
{
	unsigned long long ino;
	unsigned int maj, min;
	char line[256];
	struct stat st;
	int pid = 0, p;
	FILE *f;

	if (stat(path, &st))
		return 0;
	f = fopen("/proc/locks", "re");
	if (!f)
		return 0;
	while (!pid && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*s FLOCK %*s %*s %d %x:%x:%llu", &p, &maj,
			   &min, &ino) == 4 &&
		    maj == major(st.st_dev) && min == minor(st.st_dev) &&
		    ino == (unsigned long long)st.st_ino)
			pid = p;
	}
	fclose(f);
	return pid;
}

/*
 * One xlbd per pin directory: two would each undo the other's changes to
 * the same maps. The lock is an exclusive flock() on the pin directory
 * itself (created here if need be), held for the life of the process: the
 * kernel drops it however the process ends, and it is keyed by the
 * directory, whatever path names it. /proc/locks tells the holder's pid.
 */
static int pin_lock(const char *pin_dir, int *fd_out)
{
	int fd, e, pid;

	if (mkdir(pin_dir, 0700) && errno != EEXIST) {
		pr_err("mkdir %s: %s", pin_dir, strerror(errno));
		return -errno;
	}
	fd = open(pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		pr_err("open %s: %s", pin_dir, strerror(errno));
		return -errno;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		e = errno;
		if (e == EWOULDBLOCK) {
			pid = lock_holder(pin_dir);
			if (pid)
				pr_err("another xlbd (pid %d) already drives "
				       "the maps pinned in %s: stop it first, "
				       "or give this one its own --pin-dir",
				       pid, pin_dir);
			else
				pr_err("another xlbd already drives the maps "
				       "pinned in %s: stop it first, or give "
				       "this one its own --pin-dir",
				       pin_dir);
		} else {
			pr_err("lock %s: %s", pin_dir, strerror(e));
		}
		close(fd);
		return e == EWOULDBLOCK ? -EBUSY : -e;
	}
	*fd_out = fd;
	return 0;
}

/*
 * Checks of a configuration against this host that need no privileges:
 * `xlbd --check` runs them too. Every configured interface exists (with
 * --no-attach none is needed).
 */
static int check_system(const struct xlb_cfg *c, bool no_attach, char *err,
			size_t errlen)
{
	return no_attach ? 0 : ifaces_check(c, err, errlen);
}

/*
 * Before the maps are opened: an xlb program attached to a configured
 * interface whose maps lost their pins (removed by hand, another pin
 * directory, bpffs remounted) gets them pinned again, so the open below
 * re-adopts the maps that hold the flows instead of creating empty ones
 * the program would never read.
 */
static int repin_attached(const struct xlb_cfg *c, const char *pin_dir)
{
	struct xlb_attached a;
	char err[512];
	size_t i;
	int ifindex, n, r;

	for (i = 0; i < c->n_ifaces; i++) {
		ifindex = (int)if_nametoindex(c->ifaces[i].name);
		if (!ifindex || xlb_attach_query(ifindex, &a) || !a.prog_id)
			continue;
		r = xlb_dp_repin_from_prog(pin_dir, a.prog_fd, &n, err,
					   sizeof(err));
		close(a.prog_fd);
		if (r) {
			pr_err("interface %s: program %u: %s",
			       c->ifaces[i].name, a.prog_id, err);
			return r;
		}
		if (n)
			pr_warn("interface %s: %d maps of the attached program "
				"%u pinned again in %s",
				c->ifaces[i].name, n, a.prog_id, pin_dir);
	}
	return 0;
}

/* What the maps hold at start, said once and checked, never assumed. */
static void log_maps_origin(struct xlbd *d)
{
	unsigned int adopted, created;
	__u64 n4 = 0, n6 = 0;

	xlb_dp_maps_origin(d->dp, &adopted, &created);
	if (!adopted) {
		pr_info("new maps in %s", d->opts.pin_dir);
		return;
	}
	xlb_dp_conn_count(d->dp, &n4, &n6);
	/* the maps created beside them: xlb_dp_open()'s one line */
	pr_info("adopted %llu IPv4 / %llu IPv6 flows from %s",
		(unsigned long long)n4, (unsigned long long)n6,
		d->opts.pin_dir);
}

static void close_all(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'C' },
		{ "pin-dir", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "no-attach", no_argument, NULL, 'N' },
		{ "timestamps", no_argument, NULL, 'T' },
		{ "cleanup", no_argument, NULL, 'X' },
		{ "state-file", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	struct xlbd *d = &xlbd;
	struct xlb_dp_opts dpo = {};
	struct xlb_cfg *cfg = NULL;
	bool check = false, cleanup = false, fresh = false, running = false;
	int c, r, level = -1, ret = 1, lock_fd = -1;
	char err[512];

	d->opts.config = XLB_DEFAULT_CONFIG;
	d->opts.pin_dir = XLB_PIN_DIR;
	xlb_log_init("xlbd", XLB_LOG_INFO);
	while ((c = getopt_long(argc, argv, "c:p:s:l:ThV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d->opts.config = optarg;
			break;
		case 'C':
			check = true;
			break;
		case 'p':
			d->opts.pin_dir = optarg;
			break;
		case 's':
			d->opts.socket = optarg;
			break;
		case 'S':
			d->opts.state_file = optarg;
			break;
		case 'l':
			level = xlb_log_level_parse(optarg);
			if (level < 0) {
				fprintf(stderr, "xlbd: bad log level '%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'N':
			d->opts.no_attach = true;
			break;
		case 'T':
			xlb_log_set_timestamps(1);
			break;
		case 'X':
			cleanup = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("xlbd 0.1.0\n");
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		/* xlbd --check FILE */
		if (check && optind + 1 == argc) {
			d->opts.config = argv[optind];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (level >= 0) {
		xlb_log_set_level(level);
		d->opts.log_level_set = true;
	}

	if (cleanup) {
		if (!access(d->opts.pin_dir, F_OK) &&
		    pin_lock(d->opts.pin_dir, &lock_fd))
			return 1;
		ret = cleanup_only(d->opts.config, d->opts.pin_dir);
		close(lock_fd);
		return ret;
	}

	r = xlb_cfg_load(d->opts.config, &cfg, err, sizeof(err));
	if (!r)
		r = check_system(cfg, d->opts.no_attach, err, sizeof(err));
	if (r) {
		xlb_cfg_free(cfg);
		fprintf(stderr, "xlbd: %s\n", err);
		return 1;
	}
	if (check) {
		printf("%s: ok (%zu VIPs)\n", d->opts.config, cfg->n_vips);
		xlb_cfg_free(cfg);
		return 0;
	}
	if (!realpath(d->opts.config, d->cfg_file))
		snprintf(d->cfg_file, sizeof(d->cfg_file), "%s",
			 d->opts.config);
	r = core_state_start(d, &cfg, err, sizeof(err));
	if (r) {
		xlb_cfg_free(cfg);
		fprintf(stderr, "xlbd: %s\n", err);
		return 1;
	}
	if (level < 0 && cfg->log_level[0])
		xlb_log_set_level(xlb_log_level_parse(cfg->log_level) >= 0 ?
					  xlb_log_level_parse(cfg->log_level) :
					  XLB_LOG_INFO);

	d->loop = uv_default_loop();
	d->start_ms = xlbd_now_ms();

	r = xlb_dp_ensure_bpffs();
	if (r)
		goto out;
	r = pin_lock(d->opts.pin_dir, &lock_fd);
	if (r)
		goto out;
	if (!d->opts.no_attach) {
		r = repin_attached(cfg, d->opts.pin_dir);
		if (r)
			goto out;
	}
	dpo.pin_dir = d->opts.pin_dir;
	dpo.sizes = cfg->sizes;
	dpo.outer_ttl = cfg->outer_ttl;
	r = xlb_dp_open(&dpo, &d->dp);
	if (r)
		goto out;
	fresh = !xlb_dp_adopted(d->dp);
	log_maps_origin(d);
	d->dp_ok = true; /* until core_dp_verify() says otherwise */
	d->dp_ops = &xlb_dp_ops_real;
	d->dp_ctx = d;
	r = core_init(d);
	if (!r)
		r = bgp_init(d);
	if (r)
		goto out;
	r = nh_start(d);
	if (r) {
		pr_err("netlink: %s", strerror(-r));
		goto out;
	}
	r = hc_start(d, cfg);
	if (!r)
		r = quic_start(d);
	if (r)
		goto out;
	if (xlb_dp_adopted(d->dp)) {
		r = core_adopt(d);
		if (r) {
			pr_err("re-adopting pinned maps: %s", strerror(-r));
			goto out;
		}
	}
	r = core_apply(d, cfg, err, sizeof(err));
	cfg = NULL; /* taken by core_apply() */
	if (r) {
		pr_err("%s", err);
		goto out;
	}
	/* next hops recorded in re-adopted maps may be stale */
	if (xlb_dp_adopted(d->dp))
		nh_resync_all(d);

	r = api_start(d, commands_dispatch, err, sizeof(err));
	if (r) {
		pr_err("%s", err);
		goto out;
	}
	r = metrics_start(d, err, sizeof(err));
	if (r) {
		pr_err("%s", err);
		goto out;
	}

	uv_signal_init(d->loop, &d->sig_hup);
	uv_signal_init(d->loop, &d->sig_term);
	uv_signal_init(d->loop, &d->sig_int);
	d->sig_hup.data = d->sig_term.data = d->sig_int.data = d;
	uv_signal_start(&d->sig_hup, on_signal, SIGHUP);
	uv_signal_start(&d->sig_term, on_signal, SIGTERM);
	uv_signal_start(&d->sig_int, on_signal, SIGINT);
	uv_timer_init(d->loop, &d->tick);
	d->tick.data = d;
	uv_timer_start(&d->tick, on_tick, 1000, 1000);

	pr_info("running: %zu VIPs, data path %s", d->n_vips,
		d->opts.no_attach ? "not attached (--no-attach)" :
		d->dp_attached	  ? "attached" :
				    "NOT attached (no interface configured)");
	notify_start(d);
	running = true;
	uv_run(d->loop, UV_RUN_DEFAULT);
	ret = 0;
out:
	/* A first start that fails leaves nothing behind: no attachment, no
	 * pins. Maps that were re-adopted stay: they carry live flows. */
	if (!running && fresh && d->dp) {
		pr_err("start failed; removing the maps and attachments this "
		       "start created");
		d->detach_on_exit = true;
	}
	api_stop(d);
	hc_stop(d);
	bgp_stop(d);
	nh_stop(d);
	metrics_stop(d);
	if (d->detach_on_exit) {
		if (ifaces_detach_all(d))
			ret = 1;
		xlb_dp_close(d->dp);
		d->dp = NULL;
		if (xlb_dp_unpin(d->opts.pin_dir))
			ret = 1;
	}
	if (d->loop) {
		uv_walk(d->loop, close_all, NULL);
		uv_run(d->loop, UV_RUN_DEFAULT);
		uv_loop_close(d->loop);
	}
	nh_close(d);
	bgp_close(d);
	core_free(d);
	xlb_dp_close(d->dp);
	xlb_cfg_free(d->cfg);
	xlb_cfg_free(d->file_cfg);
	xlb_cfg_free(cfg);
	free(d->ifaces);
	if (lock_fd >= 0)
		close(lock_fd);
	return ret;
}
