/* SPDX-License-Identifier: BSD-2-Clause */
/* The authorization decision: see authz.h. */
#include <string.h>

#include "snap/access.h"
#include "server/authz.h"
#include "util/err.h"

int authz_init(struct authz *z, int64_t now_ns)
{
	memset(z, 0, sizeof(*z));
	clients_init(&z->clients);
	z->digest = digest_state_new(0, now_ns);
	if (z->digest == NULL || buckets_init(&z->fail_user, AUTHZ_THROTTLE_ENTRIES) != 0 ||
	    buckets_init(&z->fail_addr, AUTHZ_THROTTLE_ENTRIES) != 0 ||
	    buckets_init(&z->anon_addr, AUTHZ_THROTTLE_ENTRIES) != 0) {
		authz_destroy(z);
		return ALTOD_ENOMEM;
	}
	return 0;
}

void authz_destroy(struct authz *z)
{
	peers_stop(z->peers); /* its receiver thread writes into z->digest */
	z->peers = NULL;
	buckets_destroy(&z->fail_user);
	buckets_destroy(&z->fail_addr);
	buckets_destroy(&z->anon_addr);
	digest_state_free(z->digest);
	z->digest = NULL;
	clients_destroy(&z->clients);
}

static bool refuse(struct authz_decision *d, unsigned status, const char *text, double retry_after)
{
	d->status = status;
	d->text = text;
	d->retry_after = retry_after;
	return false;
}

/* Password guessing: a request with credentials is refused (429) before
 * any password is checked when its peer address or the user it claims has
 * no failure token left; each failed authentication costs one of both. The
 * per-address bucket stops one attacker trying many names, the per-user one
 * many addresses trying one name. A header whose user cannot be read counts
 * under one shared name, so that no malformed variant escapes the per-user
 * limit. */
struct claim {
	char user[1 + AUTH_USER_MAX]; /* 'u' + name, or "" (unreadable) */
	size_t user_len;
};

static void claim_of(const char *authorization, struct claim *cl)
{
	cl->user[0] = 'u';
	if (auth_claimed_user(authorization, cl->user + 1, sizeof(cl->user) - 1)) {
		cl->user_len = 1 + strlen(cl->user + 1);
	} else {
		cl->user[0] = '\0';
		cl->user_len = 1;
	}
}

/* Takes a failure token of the peer and of the claimed user. A token of
 * each is taken before the password is checked, so that concurrent guesses
 * cannot all pass on the same last token, and given back unless the
 * authentication fails (throttle_settle). */
static bool throttle_take(struct authz *z, const struct policy *p, const struct authz_request *rq,
                          const struct claim *cl, struct authz_decision *d)
{
	double ra = 0, ru = 0;
	bool addr_ok = buckets_take(&z->fail_addr, rq->peer, rq->peer_len, p->fail_addr.rate, p->fail_addr.burst, &ra);
	bool user_ok = buckets_take(&z->fail_user, cl->user, cl->user_len, p->fail_user.rate, p->fail_user.burst, &ru);
	if (addr_ok && user_ok)
		return true;
	if (addr_ok)
		buckets_give(&z->fail_addr, rq->peer, rq->peer_len, p->fail_addr.rate, p->fail_addr.burst);
	if (user_ok)
		buckets_give(&z->fail_user, cl->user, cl->user_len, p->fail_user.rate, p->fail_user.burst);
	d->limited = addr_ok ? "auth-failures-per-user" : "auth-failures-per-address";
	d->client = "?";
	/* the wait until both have a token */
	double retry = addr_ok ? ru : user_ok ? ra : ra > ru ? ra : ru;
	return refuse(d, 429, "Too Many Requests: too many failed authentications\n", retry);
}

static void throttle_give_back(struct authz *z, const struct policy *p, const struct authz_request *rq,
                               const struct claim *cl)
{
	buckets_give(&z->fail_addr, rq->peer, rq->peer_len, p->fail_addr.rate, p->fail_addr.burst);
	buckets_give(&z->fail_user, cl->user, cl->user_len, p->fail_user.rate, p->fail_user.burst);
}

/* Counts the connection against the client (once), within its limit. A
 * connection over the limit is refused and not counted: the client's other
 * connections keep working. */
static bool connection_admit(struct client_state **conn_client, struct client_state *cs, unsigned max)
{
	if (*conn_client == cs)
		return true; /* counted already */
	pthread_mutex_lock(&cs->lock);
	bool ok = max == 0 || cs->conns < max;
	if (ok)
		cs->conns++;
	pthread_mutex_unlock(&cs->lock);
	if (!ok)
		return false;
	authz_connection_closed(*conn_client); /* the same connection, another client than before */
	*conn_client = cs;
	return true;
}

void authz_connection_closed(struct client_state *conn_client)
{
	if (conn_client == NULL)
		return;
	pthread_mutex_lock(&conn_client->lock);
	conn_client->conns--;
	pthread_mutex_unlock(&conn_client->lock);
}

bool authz_decide(struct authz *z, const struct snapshot *s, const struct authz_request *rq,
                  struct client_state **conn_client, struct authz_decision *d)
{
	memset(d, 0, sizeof(*d));
	d->client = "-";
	d->basic_ok = rq->tls; /* Basic over TLS only */
	/* Digest over TLS, and on a plain listener only with clear-digest */
	d->digest_ok = rq->tls || rq->clear_digest;
	const struct snapshot_access *a = s->access;
	if (a == NULL) { /* no access section: everything, for everyone */
		d->cat = s->cat;
		return true;
	}
	const struct policy *p = a->policy;

	/* identity: credentials that will be checked are throttled first */
	struct claim cl;
	bool throttled = rq->authorization != NULL && d->digest_ok;
	if (throttled) {
		claim_of(rq->authorization, &cl);
		if (!throttle_take(z, p, rq, &cl, d))
			return false;
	}
	struct auth_request ar = {
	        .method = rq->method,
	        .url = rq->url,
	        .has_query = rq->has_query,
	        .authorization = rq->authorization,
	        .nauthorization = rq->nauthorization,
	        .verified_session = rq->verified,
	        .verified_tls = rq->verified_tls,
	        .issuers = rq->issuers,
	        .basic_ok = d->basic_ok,
	        .digest_ok = d->digest_ok,
	        .peers = z->peers,
	};
	ssize_t idx = -1;
	enum auth_result who = auth_identify(a, z->digest, &ar, &idx);
	if (throttled && who != AUTH_FAIL)
		throttle_give_back(z, p, rq, &cl);

	/* catalog and limits */
	double rate = p->rate, burst = p->burst;
	unsigned max_conns = p->max_connections;
	if (who == AUTH_OK) {
		const struct policy_client *pc = &p->clients[idx];
		d->client = pc->name;
		d->cat = a->client_cat[idx];
		if (pc->rate > 0)
			rate = pc->rate;
		if (pc->burst > 0)
			burst = pc->burst;
		if (pc->max_connections > 0)
			max_conns = pc->max_connections;
	} else if (who == AUTH_NONE && a->anonymous) {
		d->client = "anonymous";
		d->cat = a->anonymous;
		d->anonymous = true;
	} else if (!d->digest_ok) {
		/* plain HTTP without clear-digest: no challenge may invite a
		 * password in clear (RFC 7235 §3.1: a 401 carries one), and
		 * credentials sent here are not looked at */
		d->client = who == AUTH_NONE ? "-" : "?";
		return refuse(d, 403, "Forbidden: credentials only over TLS\n", 0);
	} else {
		d->client = who == AUTH_NONE ? "-" : "?";
		d->stale = who == AUTH_STALE;
		return refuse(d, 401, "Unauthorized\n", 0);
	}
	d->cs = clients_get(&z->clients, d->client);
	if (d->cs == NULL)
		return refuse(d, 503, "Service Unavailable\n", 1);
	if (!connection_admit(conn_client, d->cs, max_conns))
		return refuse(d, 429, "Too Many Requests: too many connections\n", 1);
	double retry = 1;
	bool ok;
	if (d->anonymous) {
		/* anonymous clients: a bucket per peer address, not one shared by
		 * all (where one could starve the others) */
		ok = buckets_take(&z->anon_addr, rq->peer, rq->peer_len, rate, burst, &retry);
	} else {
		ok = client_take(d->cs, rate, burst, &retry);
	}
	if (!ok)
		return refuse(d, 429, "Too Many Requests\n", retry);
	return true;
}
