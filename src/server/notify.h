/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * systemd's readiness protocol (sd_notify(3)): one datagram per state
 * change to $NOTIFY_SOCKET. A no-op when not started by systemd.
 */
#ifndef ALTOD_NOTIFY_H
#define ALTOD_NOTIFY_H

void notify_ready(const char *status);
void notify_reloading(void);
void notify_status(const char *status);
void notify_stopping(void);

#endif
