/* SPDX-License-Identifier: BSD-2-Clause */
/* libmicrohttpd's panics: with server_install_panic() a panic is logged
 * through altod's logger, as an error with where libmicrohttpd raised it
 * and why, before the process aborts (its default handler writes a bare
 * line outside altod's log format). The panic is a real one:
 * a request handler suspends a connection of a daemon started without
 * MHD_ALLOW_SUSPEND_RESUME, which libmicrohttpd 0.9.75 answers with
 * MHD_PANIC. */
#include <check.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "server/server.h"
#include "util/log.h"
#include "testutil.h"

static enum MHD_Result suspend_it(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)con_cls;
	MHD_suspend_connection(c); /* not allowed by this daemon: MHD_PANIC */
	return MHD_YES;
}

/* the child: stderr into the pipe, one request to a daemon that panics on it */
static void panicking_child(int out, bool install)
{
	static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	char buf[64];

	alarm(20); /* a panic that does not happen ends the child by SIGALRM, not a hang */
	dup2(out, STDERR_FILENO);
	log_init(LOG_LVL_INFO);
	if (install)
		server_install_panic();
	struct MHD_Daemon *d =
	        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, suspend_it, NULL, MHD_OPTION_END);
	const union MHD_DaemonInfo *di = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	if (di == NULL)
		_exit(3);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(di->port)};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
		_exit(4);
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	_exit(5);
}

/* runs the child; returns how it ended (waitpid status), its stderr in err */
static int run_child(bool install, char *err, size_t size)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		panicking_child(p[1], install);
	}
	close(p[1]);
	size_t n = 0;
	ssize_t r;
	while (n + 1 < size && (r = read(p[0], err + n, size - 1 - n)) > 0)
		n += (size_t)r;
	err[n] = '\0';
	close(p[0]);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

START_TEST(a_panic_is_logged_then_aborts)
{
	char err[4096];
	int status = run_child(true, err, sizeof(err));
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "status %#x; stderr:\n%s", status, err);
	ck_assert_contains(err, " error: http: libmicrohttpd panic at daemon.c:");
	ck_assert_contains(err, ": Cannot suspend connections without enabling MHD_ALLOW_SUSPEND_RESUME!; aborting\n");
	/* one line, altod's: libmicrohttpd's own is not written */
	ck_assert_ptr_eq(strchr(err, '\n'), err + strlen(err) - 1);
	ck_assert_msg(strstr(err, "Fatal error in GNU libmicrohttpd") == NULL, "stderr:\n%s", err);
}
END_TEST

/* what altod did before: libmicrohttpd's own line, not in altod's format */
START_TEST(without_it_libmicrohttpd_writes_its_own_line)
{
	char err[4096];
	int status = run_child(false, err, sizeof(err));
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT, "status %#x; stderr:\n%s", status, err);
	ck_assert_contains(err, "Fatal error in GNU libmicrohttpd daemon.c:");
	ck_assert_msg(strstr(err, "error: http:") == NULL, "stderr:\n%s", err);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("framing");
	TCase *tc = tcase_create("panic");
	tcase_add_test(tc, a_panic_is_logged_then_aborts);
	tcase_add_test(tc, without_it_libmicrohttpd_writes_its_own_line);
	suite_add_tcase(s, tc);
	return s;
}

RUN_SUITE(suite)
