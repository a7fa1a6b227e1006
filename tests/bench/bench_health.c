// SPDX-License-Identifier: GPL-2.0-only
/**
 * DOC: bench_health - CPU cost of the health-check engine
 *
 * 1,000 probes, each checking its own listener every 100 ms (10,000 checks
 * a second), for SECONDS (default 10) after a 1 s warm-up. The figure is
 * this process's CPU time (getrusage(): user + system, and each part) over
 * wall time, in percent of one core: what xlbd would spend on the checks.
 *
 * Where the work is charged matters. On loopback every packet the checker
 * sends is received, in softirq, in the sender's own context: the
 * servers' half of each handshake (SYN in, SYN-ACK out, accept, the reset
 * at close) lands on the checker. A real backend does that work in its own
 * kernel. So the servers live in a second network namespace behind a veth
 * pair, pinned to another CPU, and the packets that reach them are steered
 * to that CPU with RPS: the checker pays for its syscalls, its sockets and
 * for sending its packets down to the veth (including the RPS IPI, which
 * stands in for a NIC's doorbell). The checker's own kernel work on the
 * replies (SYN-ACK in, ACK or RST out) then runs in softirq on the
 * servers' CPU, as it would on the CPU of a NIC queue, and is not counted
 * (it is not xlbd's process time on a real host either, unless the
 * interrupt lands while xlbd runs). The "_loopback" lines repeat the run
 * with everything on 127.0.0.1 for comparison.
 *
 *   BENCH checks_cpu_1000 <pct> %          TCP connect checks (+ _user, _sys)
 *   BENCH checks_rate_1000 <n> checks/s    results per second
 *   BENCH tcp_connect_floor_10k <pct> %    the same 10,000 connects a second
 *         without the engine (socket, SO_LINGER, connect, poll, close in a
 *         loop): what the kernel alone costs the caller per connection
 *   BENCH checks_cpu_1000_loopback ...     the same on loopback
 *   BENCH checks_cpu_1000_http <pct> %     HTTP GET checks (libcurl)
 *
 * Nothing is asserted (the target is under 10 % for TCP). Everything runs
 * in network and mount namespaces private to this process (root needed;
 * otherwise the host's loopback is used and said so).
 *
 * Usage: bench_health [SECONDS] [tcp|http|all]
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
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
#define CHK_ADDR    "10.201.0.1"
#define SRV_ADDR    "10.201.0.2"

static struct {
	int self_ns; /* the checker's network namespace */
	int srv_ns; /* the servers', behind a veth (-1: none) */
	int cpu_chk; /* CPU of the checker, -1: not pinned */
	int cpu_srv; /* CPU of the servers and their packets */
	bool rps; /* servers' packets steered to cpu_srv */
} env = { -1, -1, -1, -1, false };

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

static void lo_up(void)
{
	struct ifreq ifr = {};
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/* The first two CPUs we may run on: the checker's and the servers'. */
static void pick_cpus(void)
{
	cpu_set_t set;
	int i, n = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (i = 0; i < CPU_SETSIZE && n < 2; i++) {
		if (!CPU_ISSET(i, &set))
			continue;
		if (n++ == 0)
			env.cpu_chk = i;
		else
			env.cpu_srv = i;
	}
	if (env.cpu_srv < 0)
		env.cpu_chk = -1;
}

static void pin(int cpu)
{
	cpu_set_t set;

	if (cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/*
 * The checker's namespace (this process, lo up) and the servers' behind a
 * veth pair, so that the servers' side of every connection is not done by
 * the checker. Both namespaces and a mount namespace are private to this
 * process: every "ip" command below runs inside them, never on the host.
 * Return: 0 with env.self_ns set (and env.srv_ns if the veth worked).
 */
static int env_init(void)
{
	char cmd[256], path[128];
	int err;

	if (unshare(CLONE_NEWNET | CLONE_NEWNS))
		return -errno;
	/* sysfs mounted below must not propagate to the host */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	lo_up();
	env.self_ns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (env.self_ns < 0)
		return -errno;
	pick_cpus();

	if (unshare(CLONE_NEWNET))
		return 0;
	/* not O_CLOEXEC: "ip" opens /proc/self/fd/N */
	env.srv_ns = open("/proc/self/ns/net", O_RDONLY);
	lo_up();
	if (env.srv_ns < 0 || setns(env.self_ns, CLONE_NEWNET)) {
		fprintf(stderr, "bench_health: cannot return to own netns\n");
		exit(1);
	}
	snprintf(cmd, sizeof(cmd),
		 "ip link add xhc0 type veth peer name xhc1 netns "
		 "/proc/self/fd/%d && ip addr add " CHK_ADDR
		 "/24 dev xhc0 && ip link set xhc0 up",
		 env.srv_ns);
	err = system(cmd);
	if (setns(env.srv_ns, CLONE_NEWNET))
		exit(1);
	if (!err)
		err = system("ip addr add " SRV_ADDR "/24 dev xhc1 && "
			     "ip link set xhc1 up");
	/* Receive packets of the servers' side on the servers' CPU (RPS):
	 * a remote backend's kernel does that work, not ours. sysfs shows
	 * the devices of the namespace that mounts it. */
	if (!err && env.cpu_srv >= 0 &&
	    !mount("sysfs", "/sys", "sysfs", 0, NULL)) {
		snprintf(path, sizeof(path), "%x", 1u << env.cpu_srv);
		if (!write_file("/sys/class/net/xhc1/queues/rx-0/rps_cpus",
				path))
			env.rps = true;
		umount2("/sys", MNT_DETACH);
	}
	if (setns(env.self_ns, CLONE_NEWNET))
		exit(1);
	if (err) {
		close(env.srv_ns);
		env.srv_ns = -1;
	}
	return 0;
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

static pid_t start_listeners(bool http, bool remote, __u16 *ports)
{
	int lfd[N_PROBES], p[2], i;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl;
	pid_t pid;
	char c;

	if (remote) {
		inet_pton(AF_INET, SRV_ADDR, &sa.sin_addr);
		if (setns(env.srv_ns, CLONE_NEWNET))
			return -1;
	} else {
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
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
	if (remote && setns(env.self_ns, CLONE_NEWNET))
		exit(1);
	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		pin(env.cpu_srv);
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

struct cpu {
	double user;
	double sys;
};

static struct cpu cpu_now(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (struct cpu){
		.user = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6,
		.sys = ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6,
	};
}

/* "BENCH <name> total %", then the user and system parts */
static void print_cpu(const char *name, struct cpu c0, struct cpu c1,
		      double scale)
{
	double u = (c1.user - c0.user) * scale, s = (c1.sys - c0.sys) * scale;

	printf("BENCH %s %.1f %%\n", name, u + s);
	printf("BENCH %s_user %.1f %%\n", name, u);
	printf("BENCH %s_sys %.1f %%\n", name, s);
}

struct mode {
	const char *suffix; /* of the BENCH names */
	const char *which; /* selected by argv[2] */
	enum xlb_hc_type type;
	enum xlb_hc_tcp_mode tcp_mode;
	bool remote; /* servers behind the veth, else on loopback */
};

static int bench(const struct mode *m, double seconds)
{
	struct xlb_hc_opts o = { .on_result = on_result };
	static __u16 ports[N_PROBES];
	struct xlb_hc_cfg cfg = {
		.type = m->type,
		.interval_ms = INTERVAL_MS,
		.timeout_ms = INTERVAL_MS,
		.rise = 2,
		.fall = 3,
		.mode = m->tcp_mode,
	};
	struct bench b = {};
	struct cpu c0, c1;
	double w0, w1;
	char err[256], name[64];
	pid_t pid;
	int i, ret = 0;

	pid = start_listeners(m->type == XLB_HC_HTTP, m->remote, ports);
	if (pid < 0)
		return 1;
	uv_loop_init(&b.loop);
	if (xlb_hc_new(&b.loop, &o, &b.hc)) {
		ret = 1;
		goto out;
	}
	snprintf(cfg.name, sizeof(cfg.name), "bench");
	for (i = 0; i < N_PROBES; i++) {
		struct xlb_hc_target t = { .port = ports[i] };
		struct xlb_hc_probe *p;

		xlb_addr_parse(m->remote ? SRV_ADDR : "127.0.0.1", &t.backend);
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
	c0 = cpu_now();
	w0 = uv_hrtime() / 1e9;
	run_for(&b.loop, seconds);
	c1 = cpu_now();
	w1 = uv_hrtime() / 1e9;
	snprintf(name, sizeof(name), "checks_cpu_1000%s", m->suffix);
	print_cpu(name, c0, c1, 100.0 / (w1 - w0));
	printf("BENCH checks_rate_1000%s %.0f checks/s\n", m->suffix,
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
static int connect_floor(bool remote)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	socklen_t sl = sizeof(sa);
	struct cpu c0, c1;
	__u16 port;
	int i, n = 20000, l, c;
	pid_t pid;

	if (remote) {
		inet_pton(AF_INET, SRV_ADDR, &sa.sin_addr);
		if (setns(env.srv_ns, CLONE_NEWNET))
			return 1;
	} else {
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (void *)&sa, sizeof(sa)) || listen(l, 4096))
		return 1;
	if (remote && setns(env.self_ns, CLONE_NEWNET))
		exit(1);
	getsockname(l, (void *)&sa, &sl);
	port = ntohs(sa.sin_port);
	pid = fork();
	if (pid == 0) {
		pin(env.cpu_srv);
		for (;;) {
			c = accept(l, NULL, NULL);
			if (c >= 0)
				close(c);
		}
	}
	close(l);
	sa.sin_port = htons(port);
	c0 = cpu_now();
	for (i = 0; i < n; i++) {
		struct pollfd pfd;

		c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		(void)connect(c, (void *)&sa, sizeof(sa));
		pfd = (struct pollfd){ .fd = c, .events = POLLOUT };
		poll(&pfd, 1, 100);
		close(c);
	}
	c1 = cpu_now();
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	print_cpu(remote ? "tcp_connect_floor_10k" :
			   "tcp_connect_floor_10k_loopback",
		  c0, c1, 10000.0 * 100 / n);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct mode modes[] = {
		{ "", "tcp", XLB_HC_TCP, XLB_HC_TCP_CONNECT, true },
		{ "_loopback", "tcp", XLB_HC_TCP, XLB_HC_TCP_CONNECT, false },
		{ "_syn", "syn", XLB_HC_TCP, XLB_HC_TCP_SYN, true },
		{ "_syn_loopback", "syn", XLB_HC_TCP, XLB_HC_TCP_SYN, false },
		{ "_http", "http", XLB_HC_HTTP, XLB_HC_TCP_CONNECT, true },
	};
	double seconds = argc > 1 ? atof(argv[1]) : 10;
	const char *which = argc > 2 ? argv[2] : "all";
	bool all = !strcmp(which, "all");
	int ret = 0, err;
	size_t i;

	xlb_log_init("bench_health", XLB_LOG_ERR);
	raise_nofile();
	err = env_init();
	if (err)
		printf("# no private network namespace (%s): using the host's "
		       "loopback\n",
		       strerror(-err));
	else if (env.srv_ns < 0)
		printf("# no veth pair: servers on loopback only\n");
	printf("# checker on CPU %d, servers on CPU %d, server side's "
	       "packets steered there (RPS): %s\n",
	       env.cpu_chk, env.cpu_srv, env.rps ? "yes" : "no");
	pin(env.cpu_chk);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const struct mode *m = &modes[i];
		bool tcp = m->type == XLB_HC_TCP &&
			   m->tcp_mode == XLB_HC_TCP_CONNECT;

		if (m->remote && env.srv_ns < 0)
			continue;
		if (!all && strcmp(which, m->which))
			continue;
		ret |= bench(m, seconds);
		if (tcp)
			ret |= connect_floor(m->remote);
	}
	return ret;
}
