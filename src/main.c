/* SPDX-License-Identifier: BSD-2-Clause */
/* altod: command line, signals, and the reload loop. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "snap/access.h"
#include "alto/arena.h"
#include "server/admin.h"
#include "server/auth.h"
#include "conf/conf.h"
#include "util/err.h"
#include "util/log.h"
#include "server/metrics.h"
#include "server/notify.h"
#include "server/server.h"
#include "snap/snapshot.h"
#include "snap/updates.h"
#include "server/tls.h"

static volatile sig_atomic_t g_stop, g_reload, g_stats;

/* Signal handlers only set flags; the main loop does the work. */
static void on_signal(int sig)
{
	if (sig == SIGHUP)
		g_reload = 1;
	else if (sig == SIGUSR1)
		g_stats = 1;
	else
		g_stop = 1;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: altod [-c FILE] [-t] [-v]\n"
	             "ALTO server (RFC 7285).\n\n"
	             "  -c, --config FILE  configuration file (default " CONF_DEFAULT_PATH ")\n"
	             "  -t, --test         check the configuration and every maps file, print ok or\n"
	             "                     every error as file:line:column: message, and exit\n"
	             "  -v, --verbose      log debug messages\n"
	             "  --hash-password USER [REALM]\n"
	             "                     read a password on stdin and print the access.clients\n"
	             "                     password entry (HA1 hashes; realm default: altod)\n"
	             "  --config-reference [markdown|man]\n"
	             "                     print the reference of every configuration key\n"
	             "  --metrics-reference\n"
	             "                     print the reference of every metric of /metrics\n"
	             "  -h, --help         show this help\n"
	             "  -V, --version      show the version\n\n"
	             "Runs in the foreground and logs to stderr. SIGHUP reloads the configuration\n"
	             "and the maps; SIGUSR1 logs per-client counters; SIGTERM or SIGINT stops.\n");
}

/* Everything a start or a reload loads: the config, the maps, the TLS
 * material of each listener. All of it is checked before any is used. */
struct loaded {
	struct conf *conf;
	struct snapshot *snap;
	struct tls_state **tls; /* per listener; NULL entries for plain HTTP */
};

static void loaded_free(struct loaded *l)
{
	if (l->tls && l->conf)
		for (size_t i = 0; i < l->conf->nlisten; i++)
			tls_state_free(l->tls[i]);
	free(l->tls);
	snapshot_unref(l->snap);
	conf_free(l->conf);
	memset(l, 0, sizeof(*l));
}

/* A client rule's issuer-sha256 must name a CA that some listener takes
 * client certificates from (tls.client-ca, client-auth not none): one that
 * none does could never match, and a fingerprint mistyped, or of the leaf
 * rather than its CA, would lock the client out without a word. An error,
 * so a reload with it keeps the old configuration serving: add the new CA
 * to client-ca first, or in the same reload. */
static int check_issuers(const struct loaded *l, struct diag *d)
{
	const struct policy *p = l->snap && l->snap->access ? l->snap->access->policy : NULL;
	int rc = 0;
	for (size_t i = 0; p && i < p->nclients; i++) {
		const struct policy_client *pc = &p->clients[i];
		if (!pc->has_issuer || tls_states_hold_ca(l->tls, l->conf->nlisten, pc->cert_issuer))
			continue;
		diag_add(d, p->file, pc->issuer_at.line, pc->issuer_at.col,
		         "client '%s': certificate issuer-sha256 names no CA of a listener's tls.client-ca (with "
		         "client-auth optional or require): no certificate could match",
		         pc->name);
		rc = ALTOD_ECONFIG;
	}
	return rc;
}

/* Loads config, maps and certificates; every error goes to d. */
static int load_all(const char *path, struct loaded *out, struct diag *d)
{
	memset(out, 0, sizeof(*out));
	int rc = conf_load(path, &out->conf, d);
	if (rc != 0)
		return rc;
	out->tls = calloc(out->conf->nlisten ? out->conf->nlisten : 1, sizeof(*out->tls));
	if (out->tls == NULL) {
		loaded_free(out);
		return ALTOD_ENOMEM;
	}
	for (size_t i = 0; i < out->conf->nlisten; i++)
		if (out->conf->listen[i].tls && tls_state_load(out->conf, &out->conf->listen[i], &out->tls[i], d) != 0)
			rc = ALTOD_ECONFIG;
	if (admin_check(out->conf, d) != 0)
		rc = ALTOD_ECONFIG;
	/* the maps are checked even when a certificate is bad: all errors at once */
	int mrc = snapshot_build(out->conf, &out->snap, d);
	if (rc == 0)
		rc = mrc;
	if (rc == 0)
		rc = check_issuers(out, d);
	if (rc != 0)
		loaded_free(out);
	return rc;
}

/* Digest HA1 hashes are password-equivalent (RFC 7616 §5.5: whoever has one
 * answers challenges as that client) and the access secret keys nonces and
 * opaque names: a configuration holding them must not be readable by every
 * local user. The unit and the install rules keep it 0640 root:altod; this
 * catches a hand-made copy. */
static void warn_if_secrets_readable(const char *path, const struct snapshot *snap)
{
	const struct policy *p = snap->access ? snap->access->policy : NULL;
	bool secrets = p && p->secret;
	for (size_t i = 0; p && i < p->nclients && !secrets; i++)
		secrets = p->clients[i].user != NULL;
	struct stat st;
	if (secrets && stat(path, &st) == 0 && (st.st_mode & S_IROTH))
		log_warning("config",
		            "%s holds the access secret or Digest password hashes (password-equivalent) and every "
		            "local user can read it: chmod 0640 and chgrp altod",
		            path);
}

static void log_diag(const struct diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		log_err("config", "%s", d->msgs[i]);
}

static struct updates_limits updates_limits_of(const struct conf *c)
{
	return (struct updates_limits){.max_versions = c->updates.max_versions, .max_bytes = c->updates.max_bytes};
}

/* SIGUSR1: what the updates history holds */
static void log_updates_stats(struct snapshot_slot *slot)
{
	struct snapshot *s = slot_acquire(slot);
	const struct updates *u = s->updates;
	if (u)
		log_notice("updates",
		           "history: %zu resources, %zu versions, %zu bytes of patches, last built in %.3f s "
		           "(patches %.3f s)",
		           u->n, u->versions, u->bytes, u->build_seconds, u->patch_seconds);
	snapshot_unref(s);
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void reload(const char *path, struct conf **conf, struct snapshot_slot *slot, struct server *srv,
                   struct metrics *m)
{
	struct diag d;
	struct loaded nl;

	diag_init(&d);
	notify_reloading();
	log_info("reload", "reloading %s", path);
	if (load_all(path, &nl, &d) != 0) {
		log_diag(&d);
		log_err("reload", "reload failed with %zu error(s); still serving the previous maps and certificates",
		        d.n);
		char status[160];
		snprintf(status, sizeof(status),
		         "reload failed with %zu error(s) (see the log); serving the previous maps", d.n);
		notify_ready(status); /* READY=1 ends RELOADING=1, failed or not */
		diag_free(&d);
		metrics_reload(m, false, wall_now());
		return;
	}
	diag_free(&d);
	warn_if_secrets_readable(path, nl.snap);
	/* the new versions and their patches, from the serving snapshot's
	 * history (before anything is installed: a failure keeps everything as it was) */
	struct snapshot *prev = slot_acquire(slot);
	struct updates_limits ul = updates_limits_of(nl.conf);
	int urc = updates_build(prev, nl.snap, &ul);
	snapshot_unref(prev);
	if (urc != 0) {
		log_err("reload",
		        "reload failed: cannot build the updates history (%s); still serving the previous maps",
		        altod_strerror(urc));
		notify_ready("reload failed (see the log); serving the previous maps");
		loaded_free(&nl);
		metrics_reload(m, false, wall_now());
		return;
	}
	if (conf_listeners_equal(*conf, nl.conf)) {
		server_set_tls(srv, nl.tls); /* takes the states over */
		memset(nl.tls, 0, nl.conf->nlisten * sizeof(*nl.tls));
	} else {
		char keys[2048];
		conf_restart_keys(&conf_schema, keys, sizeof(keys));
		log_warning("reload",
		            "changes of %s need a restart: still listening as before; maps, request limits and "
		            "certificates reloaded",
		            keys);
		/* certificates are still rotated on listeners that stay the same */
		struct tls_state **keep = calloc((*conf)->nlisten ? (*conf)->nlisten : 1, sizeof(*keep));
		for (size_t i = 0; keep && i < (*conf)->nlisten && i < nl.conf->nlisten; i++) {
			const struct conf_listener *a = &(*conf)->listen[i], *b = &nl.conf->listen[i];
			if (strcmp(a->address, b->address) == 0 && a->port == b->port && a->tls && b->tls &&
			    strcmp(a->tls->priorities, b->tls->priorities) == 0) {
				keep[i] = nl.tls[i];
				nl.tls[i] = NULL;
			}
		}
		if (keep)
			server_set_tls(srv, keep);
		free(keep);
	}
	char summary[1024];
	snapshot_summary(nl.snap, summary, sizeof(summary));
	slot_swap(slot, nl.snap);
	nl.snap = NULL;
	server_snapshot_changed(srv);
	/* the running listeners keep the config they were started with */
	struct conf *started = *conf;
	if (conf_listeners_equal(started, nl.conf)) {
		*conf = nl.conf;
		nl.conf = started;
	}
	loaded_free(&nl);
	metrics_reload(m, true, wall_now());
	log_info("reload", "ok: %s", summary);
	notify_ready(summary);
}

/* The counters and the admin listener, when altod.yaml has one: started
 * before the maps are loaded, so /healthz answers and /readyz says 503
 * meanwhile. A configuration with errors starts none: load_all reports
 * them. Returns 0, or 1 when altod cannot start. */
static int start_admin(const char *path, struct metrics **m, struct admin **out)
{
	double started = wall_now();
	struct diag d;
	struct conf *c = NULL;
	diag_init(&d);
	int rc = 0;
	/* without an admin listener nothing reads counters: none are kept
	 * (adding one needs a restart) */
	if (conf_load(path, &c, &d) == 0 && c->admin) {
		*m = metrics_new(started);
		if (*m == NULL) {
			log_err("main", "out of memory");
			rc = 1;
		} else if (admin_check(c, &d) != 0) {
			log_diag(&d);
			rc = 1;
		} else if (admin_start(c, *m, out) != 0) {
			rc = 1;
		}
	}
	conf_free(c);
	diag_free(&d);
	if (rc != 0) {
		log_err("main", "cannot start the admin listener");
		metrics_free(*m);
		*m = NULL;
	}
	return rc;
}

static int hash_password(const char *user, const char *realm)
{
	char line[1024], sha[65], md5[33];
	if (fgets(line, sizeof(line), stdin) == NULL) {
		fprintf(stderr, "altod: no password on standard input\n");
		return 1;
	}
	line[strcspn(line, "\r\n")] = '\0';
	/* the same rules as altod.yaml's: a realm it would refuse, or a user
	 * name that cannot be written in the entry, makes no entry */
	const char *why = policy_realm_error(realm);
	if (why) {
		fprintf(stderr, "altod: %s\n", why);
		return 1;
	}
	if (policy_realm_error(user)) {
		fprintf(stderr,
		        "altod: a user name must have 1 to %d characters, without '\"', '\\' or a control "
		        "character\n",
		        POLICY_REALM_MAX);
		return 1;
	}
	if (auth_hash_password(user, realm, line, sha, md5) != 0)
		return 1;
	memset(line, 0, sizeof(line));
	printf("password: {user: \"%s\", sha256: \"%s\", md5: \"%s\"}   # realm \"%s\"\n", user, sha, md5, realm);
	return 0;
}

/* The key reference, generated from the schema tables: docs/configuration.md
 * and altod.yaml(5) hold this text between their "generated" markers. */
static int config_reference(const char *format)
{
	if (strcmp(format, "markdown") == 0)
		conf_reference(stdout, &conf_schema, CONF_REF_MARKDOWN);
	else if (strcmp(format, "man") == 0)
		conf_reference(stdout, &conf_schema, CONF_REF_MAN);
	else {
		fprintf(stderr, "altod: --config-reference takes markdown or man, not '%s'\n", format);
		return 2;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"test", no_argument, NULL, 't'},
	        {"verbose", no_argument, NULL, 'v'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {"hash-password", required_argument, NULL, 'H'},
	        {"config-reference", optional_argument, NULL, 'R'},
	        {"metrics-reference", no_argument, NULL, 'M'},
	        {NULL, 0, NULL, 0},
	};
	const char *path = CONF_DEFAULT_PATH;
	bool test = false, verbose = false;
	int opt;

	arena_install(); /* before any thread or JSON value exists */

	while ((opt = getopt_long(argc, argv, "c:tvhV", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 't': test = true; break;
		case 'v': verbose = true; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("altod %s\n", ALTOD_VERSION); return 0;
		case 'H': return hash_password(optarg, optind < argc ? argv[optind] : "altod");
		case 'R': return config_reference(optarg ? optarg : optind < argc ? argv[optind] : "markdown");
		case 'M': metrics_reference(stdout); return fflush(stdout) == 0 ? 0 : 1;
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
	struct loaded ld;
	diag_init(&d);
	tls_log_init(verbose);
	server_install_panic(); /* before the admin listener's daemon starts */
	struct metrics *metrics = NULL;
	struct admin *admin = NULL;
	/* the admin listener's thread starts before the signals are blocked
	 * below: it must never run their handler (only the main thread does,
	 * in sigsuspend), so it starts with them blocked */
	sigset_t admin_block, admin_old;
	sigemptyset(&admin_block);
	sigaddset(&admin_block, SIGHUP);
	sigaddset(&admin_block, SIGTERM);
	sigaddset(&admin_block, SIGINT);
	sigaddset(&admin_block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &admin_block, &admin_old);
	int arc = test ? 0 : start_admin(path, &metrics, &admin);
	pthread_sigmask(SIG_SETMASK, &admin_old, NULL);
	if (arc != 0)
		return 1;
	int rc = load_all(path, &ld, &d);
	struct conf *conf = ld.conf;
	struct snapshot *snap = ld.snap;
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
		loaded_free(&ld);
		return rc == 0 ? 0 : 1;
	}
	if (rc != 0) {
		log_diag(&d);
		log_err("main", "cannot start: %zu error(s) in the configuration", d.n);
		diag_free(&d);
		admin_stop(admin);
		metrics_free(metrics);
		return 1;
	}
	diag_free(&d);
	warn_if_secrets_readable(path, snap);
	struct updates_limits ul = updates_limits_of(conf);
	if (updates_build(NULL, snap, &ul) != 0) {
		log_err("main", "cannot start: out of memory building the updates history");
		loaded_free(&ld);
		return 1;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* block the signals except while waiting, so none is missed */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &block, &old);

	char summary[1024];
	snapshot_summary(snap, summary, sizeof(summary));
	/* replaced snapshots are freed on the slot's reaper thread, never on
	 * a request thread */
	struct snapshot_slot slot;
	if (slot_init(&slot, snap) != 0) {
		log_err("main", "cannot start the snapshot reaper thread");
		loaded_free(&ld);
		admin_stop(admin);
		metrics_free(metrics);
		return 1;
	}
	ld.snap = NULL; /* the slot owns it */
	struct server *srv;
	if (server_start(conf, &slot, ld.tls, metrics, &srv) != 0) {
		admin_stop(admin);
		slot_destroy(&slot);
		loaded_free(&ld);
		metrics_free(metrics);
		return 1;
	}
	admin_serving(admin, &slot, srv); /* /readyz: 200 from now on */
	free(ld.tls);                     /* the states are the server's now */
	ld.tls = NULL;
	ld.conf = NULL; /* `conf` from here on; reload replaces it */
	log_info("main", "altod %s ready: %s", ALTOD_VERSION, summary);
	notify_ready(summary);

	sigset_t wait_set = old;
	sigdelset(&wait_set, SIGHUP);
	sigdelset(&wait_set, SIGTERM);
	sigdelset(&wait_set, SIGINT);
	sigdelset(&wait_set, SIGUSR1);
	while (!g_stop) {
		if (g_reload) {
			g_reload = 0;
			reload(path, &conf, &slot, srv, metrics);
			continue;
		}
		if (g_stats) {
			g_stats = 0;
			server_log_stats(srv);
			log_updates_stats(&slot);
			continue;
		}
		sigsuspend(&wait_set);
	}
	log_info("main", "stopping");
	notify_stopping();
	admin_stop(admin); /* it reads the server and the slot */
	/* limits.stop-timeout of the snapshot serving now: of the last
	 * successful reload */
	struct snapshot *last = slot_acquire(&slot);
	unsigned stop_ms = last->limits.stop_timeout * 1000u;
	snapshot_unref(last);
	server_stop(srv, stop_ms);
	slot_destroy(&slot); /* frees what is queued: the last snapshot too */
	conf_free(conf);
	metrics_free(metrics);
	log_info("main", "stopped");
	return 0;
}
