// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: bench_health - CPU cost of the health-check engine
 *
 * 1,000 probes, each checking its own local listener every 100 ms (10,000
 * checks a second), for about 10 s after a 1 s warm-up. The figure is the
 * engine process's CPU time (user + system, getrusage()) over wall time,
 * in percent of one core: what xlbd would spend on these checks. The
 * listeners run in a child process so their work is not counted.
 *
 *   BENCH checks_cpu_1000 <percent> %          TCP connect checks
 *   BENCH checks_rate_1000 <n> checks/s        results per second (TCP)
 *   BENCH checks_cpu_1000_http <percent> %     HTTP GET checks (libcurl)
 *   BENCH checks_rate_1000_http <n> checks/s
 *   BENCH tcp_connect_floor_10k <percent> %    the same 10,000 connects a
 *         second without the engine (socket, connect, poll, close in a
 *         loop): what the kernel alone costs this process per connection
 *
 * Nothing is asserted (the target is under 10 % for TCP). To keep 10,000
 * connections a second off the host's loopback, the benchmark moves into
 * a network namespace of its own when it can (root).
 *
 * Usage: bench_health [SECONDS] [tcp|http|all]
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <uv.h>

#include "health.h"
#include "log.h"

#define N_PROBES    1000
#define INTERVAL_MS 100

struct bench {
	uv_loop_t loop;
	struct xlb_hc *hc;
	__u64 results;
	__u64 failures;
	char last_error[XLB_HC_ERR_MAX];
};

static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
}

/* A network namespace of our own with lo up; 0 if we got one. */
static int private_netns(void)
{
	struct ifreq ifr = {};
	int fd, err = 0;

	if (unshare(CLONE_NEWNET))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			err = -errno;
	} else {
		err = -errno;
	}
	close(fd);
	return err;
}

/* --- the listeners (child process) -------------------------------------- */

static void serve(int *lfd, int n, bool http, int ready_fd)
{
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n"
				   "\r\nok\n";
	struct epoll_event ev, evs[256];
	char buf[2048];
	int ep, i, k, c;

	ep = epoll_create1(0);
	for (i = 0; i < n; i++) {
		ev = (struct epoll_event){ .events = EPOLLIN,
					   .data.u64 = (1ull << 32) | lfd[i] };
		epoll_ctl(ep, EPOLL_CTL_ADD, lfd[i], &ev);
	}
	(void)!write(ready_fd, "r", 1);
	close(ready_fd);
	for (;;) {
		k = epoll_wait(ep, evs, 256, -1);
		for (i = 0; i < k; i++) {
			int fd = (int)(evs[i].data.u64 & 0xffffffff);

			if (evs[i].data.u64 >> 32) {
				while ((c = accept4(fd, NULL, NULL,
						    SOCK_NONBLOCK |
							    SOCK_CLOEXEC)) >=
				       0) {
					if (!http) {
						close(c);
						continue;
					}
					ev = (struct epoll_event){
						.events = EPOLLIN,
						.data.u64 = (__u64)c
					};
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			/* HTTP: answer the request, close when the client
			 * does (the client closes first: no TIME_WAIT here) */
			ssize_t r = read(fd, buf, sizeof(buf));

			if (r > 0 && memmem(buf, r, "\r\n\r\n", 4))
				(void)!write(fd, resp, sizeof(resp) - 1);
			else if (r <= 0 && !(r < 0 && errno == EAGAIN))
				close(fd);
		}
	}
}

static pid_t start_listeners(bool http, __u16 *ports)
{
	int lfd[N_PROBES], p[2], i;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl;
	pid_t pid;
	char c;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < N_PROBES; i++) {
		lfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (lfd[i] < 0 || bind(lfd[i], (void *)&sa, sizeof(sa)) ||
		    listen(lfd[i], 512)) {
			perror("bench_health: listener");
			return -1;
		}
		sl = sizeof(sa);
		getsockname(lfd[i], (void *)&sa, &sl);
		ports[i] = ntohs(sa.sin_port);
		sa.sin_port = 0;
	}
	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		serve(lfd, N_PROBES, http, p[1]);
		_exit(0);
	}
	close(p[1]);
	for (i = 0; i < N_PROBES; i++)
		close(lfd[i]);
	if (read(p[0], &c, 1) != 1)
		pid = -1;
	close(p[0]);
	return pid;
}

/* --- the engine (this process) ------------------------------------------ */

static void on_result(struct xlb_hc_probe *p, const struct xlb_hc_result *r,
		      void *user)
{
	struct bench *b = user;

	(void)p;
	b->results++;
	if (!r->ok) {
		b->failures++;
		snprintf(b->last_error, sizeof(b->last_error), "%s", r->error);
	}
}

static void stop_cb(uv_timer_t *t)
{
	uv_stop(t->loop);
}

static void run_for(uv_loop_t *loop, double seconds)
{
	uv_timer_t t;

	uv_timer_init(loop, &t);
	uv_timer_start(&t, stop_cb, (__u64)(seconds * 1000), 0);
	uv_run(loop, UV_RUN_DEFAULT);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static int bench(enum xlb_hc_type type, double seconds, const char *suffix)
{
	struct xlb_hc_opts o = { .on_result = on_result };
	static __u16 ports[N_PROBES];
	struct xlb_hc_cfg cfg = {
		.type = type,
		.interval_ms = INTERVAL_MS,
		.timeout_ms = INTERVAL_MS,
		.rise = 2,
		.fall = 3,
	};
	struct bench b = {};
	double c0, w0, c1, w1;
	char err[256];
	pid_t pid;
	int i, ret = 0;

	pid = start_listeners(type == XLB_HC_HTTP, ports);
	if (pid < 0)
		return 1;
	uv_loop_init(&b.loop);
	o.on_result = on_result;
	if (xlb_hc_new(&b.loop, &o, &b.hc)) {
		ret = 1;
		goto out;
	}
	snprintf(cfg.name, sizeof(cfg.name), "bench");
	for (i = 0; i < N_PROBES; i++) {
		struct xlb_hc_target t = { .port = ports[i] };
		struct xlb_hc_probe *p;

		xlb_addr_parse("127.0.0.1", &t.backend);
		snprintf(t.name, sizeof(t.name), "bench %d", i);
		if (xlb_hc_probe_add(b.hc, &cfg, &t, XLB_HC_DOWN, &b, &p, err,
				     sizeof(err))) {
			fprintf(stderr, "bench_health: %s\n", err);
			ret = 1;
			goto out;
		}
	}
	run_for(&b.loop, 1.0); /* warm-up: every probe has started */
	b.results = b.failures = 0;
	c0 = cpu_s();
	w0 = uv_hrtime() / 1e9;
	run_for(&b.loop, seconds);
	c1 = cpu_s();
	w1 = uv_hrtime() / 1e9;
	printf("BENCH checks_cpu_1000%s %.1f %%\n", suffix,
	       100.0 * (c1 - c0) / (w1 - w0));
	printf("BENCH checks_rate_1000%s %.0f checks/s\n", suffix,
	       b.results / (w1 - w0));
	if (b.failures)
		printf("# %llu of %llu checks failed, last: %s\n",
		       (unsigned long long)b.failures,
		       (unsigned long long)b.results, b.last_error);
	fflush(stdout);
out:
	xlb_hc_close(b.hc);
	uv_run(&b.loop, UV_RUN_DEFAULT);
	uv_loop_close(&b.loop);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return ret;
}

/* CPU of 10,000 bare connect+close a second to one listener, as %. */
static int connect_floor(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	socklen_t sl = sizeof(sa);
	__u16 port;
	double c0, c1;
	int i, n = 20000, l, c;
	pid_t pid;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (void *)&sa, sizeof(sa)) || listen(l, 4096))
		return 1;
	getsockname(l, (void *)&sa, &sl);
	port = ntohs(sa.sin_port);
	pid = fork();
	if (pid == 0) {
		for (;;) {
			c = accept(l, NULL, NULL);
			if (c >= 0)
				close(c);
		}
	}
	close(l);
	sa.sin_port = htons(port);
	c0 = cpu_s();
	for (i = 0; i < n; i++) {
		struct pollfd pfd;

		c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		(void)connect(c, (void *)&sa, sizeof(sa));
		pfd = (struct pollfd){ .fd = c, .events = POLLOUT };
		poll(&pfd, 1, 100);
		close(c);
	}
	c1 = cpu_s();
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	printf("BENCH tcp_connect_floor_10k %.1f %%\n",
	       (c1 - c0) / n * 10000 * 100);
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10;
	const char *which = argc > 2 ? argv[2] : "all";
	int ret = 0, err;

	xlb_log_init("bench_health", XLB_LOG_ERR);
	raise_nofile();
	err = private_netns();
	if (err)
		printf("# no private network namespace (%s): using the host's "
		       "loopback\n",
		       strerror(-err));
	if (!strcmp(which, "tcp") || !strcmp(which, "all")) {
		ret |= bench(XLB_HC_TCP, seconds, "");
		ret |= connect_floor();
	}
	if (!strcmp(which, "http") || !strcmp(which, "all"))
		ret |= bench(XLB_HC_HTTP, seconds, "_http");
	return ret;
}
