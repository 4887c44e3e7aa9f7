/* SPDX-License-Identifier: BSD-2-Clause */
/* altod: command line, signals, and the reload loop. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "altod/conf.h"
#include "altod/err.h"
#include "altod/log.h"
#include "altod/server.h"
#include "altod/snapshot.h"

static volatile sig_atomic_t g_stop, g_reload;

/* Signal handlers only set flags; the main loop does the work. */
static void on_signal(int sig)
{
	if (sig == SIGHUP)
		g_reload = 1;
	else
		g_stop = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
	        "Usage: altod [-c FILE] [-t] [-v]\n"
	        "ALTO server (RFC 7285).\n\n"
	        "  -c, --config FILE  configuration file (default " CONF_DEFAULT_PATH ")\n"
	        "  -t, --test         check the configuration and every maps file, print ok or\n"
	        "                     every error as file:line:column: message, and exit\n"
	        "  -v, --verbose      log debug messages\n"
	        "  -h, --help         show this help\n"
	        "  -V, --version      show the version\n\n"
	        "Runs in the foreground and logs to stderr. SIGHUP reloads the configuration\n"
	        "and the maps; SIGTERM or SIGINT stops.\n");
}

/* Loads config and maps; reports every error through `report`. */
static int load_all(const char *path, struct conf **conf, struct snapshot **snap, struct diag *d)
{
	*snap = NULL;
	int rc = conf_load(path, conf, d);
	if (rc != 0)
		return rc;
	rc = snapshot_build(*conf, snap, d);
	if (rc != 0) {
		conf_free(*conf);
		*conf = NULL;
	}
	return rc;
}

static void log_diag(const struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		log_err("config", "%s", d->msgs[i]);
}

static bool listeners_equal(const struct conf *a, const struct conf *b)
{
	if (a->nlisten != b->nlisten)
		return false;
	for (size_t i = 0; i < a->nlisten; i++)
		if (strcmp(a->listen[i].address, b->listen[i].address) != 0 || a->listen[i].port != b->listen[i].port)
			return false;
	return true;
}

static void reload(const char *path, struct conf **conf, struct snapshot_slot *slot)
{
	struct diag d;
	struct conf *nc;
	struct snapshot *ns;

	diag_init(&d);
	log_info("reload", "reloading %s", path);
	if (load_all(path, &nc, &ns, &d) != 0) {
		log_diag(&d);
		log_err("reload", "reload failed with %zu error(s); still serving the previous maps", d.n);
		diag_free(&d);
		return;
	}
	diag_free(&d);
	if (!listeners_equal(*conf, nc))
		log_warning("reload", "listener changes take effect only after a restart");
	char summary[1024];
	snapshot_summary(ns, summary, sizeof(summary));
	slot_swap(slot, ns);
	conf_free(*conf);
	*conf = nc;
	log_info("reload", "ok: %s", summary);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'}, {"test", no_argument, NULL, 't'},
		{"verbose", no_argument, NULL, 'v'},      {"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},      {NULL, 0, NULL, 0},
	};
	const char *path = CONF_DEFAULT_PATH;
	bool test = false, verbose = false;
	int opt;

	while ((opt = getopt_long(argc, argv, "c:tvhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 't': test = true; break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("altod %s\n", ALTOD_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "altod: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	log_init(verbose ? LOG_LVL_DEBUG : LOG_LVL_INFO);

	struct diag d;
	struct conf *conf;
	struct snapshot *snap;
	diag_init(&d);
	int rc = load_all(path, &conf, &snap, &d);
	if (test) {
		if (rc == 0) {
			printf("ok\n");
		} else {
			for (size_t i = 0; i < d.n; i++)
				printf("%s\n", d.msgs[i]);
			if (d.n == 0)
				printf("%s: %s\n", path, altod_strerror(rc));
		}
		diag_free(&d);
		snapshot_unref(snap);
		conf_free(conf);
		return rc == 0 ? 0 : 1;
	}
	if (rc != 0) {
		log_diag(&d);
		log_err("main", "cannot start: %zu error(s) in the configuration", d.n);
		diag_free(&d);
		return 1;
	}
	diag_free(&d);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* block the signals except while waiting, so none is missed */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);

	char summary[1024];
	snapshot_summary(snap, summary, sizeof(summary));
	struct snapshot_slot slot;
	slot_init(&slot, snap);
	struct server *srv;
	if (server_start(conf, &slot, &srv) != 0) {
		slot_destroy(&slot);
		conf_free(conf);
		return 1;
	}
	log_info("main", "altod %s ready: %s", ALTOD_VERSION, summary);

	sigset_t wait_set = old;
	sigdelset(&wait_set, SIGHUP);
	sigdelset(&wait_set, SIGTERM);
	sigdelset(&wait_set, SIGINT);
	while (!g_stop) {
		if (g_reload) {
			g_reload = 0;
			reload(path, &conf, &slot);
			continue;
		}
		sigsuspend(&wait_set);
	}
	log_info("main", "stopping");
	server_stop(srv, 5000);
	slot_destroy(&slot);
	conf_free(conf);
	log_info("main", "stopped");
	return 0;
}
