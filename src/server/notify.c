/* SPDX-License-Identifier: BSD-2-Clause */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "util/log.h"
#include "server/notify.h"

static void notify_send(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	if (path == NULL || path[0] == '\0')
		return;
	size_t len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len >= sizeof(sa.sun_path)) {
		log_warning("notify", "NOTIFY_SOCKET '%s' is not a socket path", path);
		return;
	}
	memcpy(sa.sun_path, path, len);
	if (path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract namespace */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	if (sendto(fd, msg, strlen(msg), MSG_NOSIGNAL, (struct sockaddr *)&sa, salen) < 0)
		log_warning("notify", "cannot notify the service manager");
	close(fd);
}

static void send_with_status(const char *head, const char *status)
{
	char msg[1200];
	/* STATUS is one line */
	snprintf(msg, sizeof(msg), "%s%s%.1000s", head,
	         status && head[0] ? "\nSTATUS="
	         : status          ? "STATUS="
	                           : "",
	         status ? status : "");
	for (char *p = strstr(msg, "STATUS="); p && *p; p++)
		if (*p == '\n')
			*p = ' ';
	notify_send(msg);
}

void notify_ready(const char *status)
{
	send_with_status("READY=1", status);
}

void notify_reloading(void)
{
	/* MONOTONIC_USEC lets systemd >= 253 (Type=notify-reload) match it */
	struct timespec ts;
	char msg[96];
	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	         (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000);
	notify_send(msg);
}

void notify_status(const char *status)
{
	send_with_status("", status);
}

void notify_stopping(void)
{
	notify_send("STOPPING=1");
}
