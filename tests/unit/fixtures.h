/* SPDX-License-Identifier: BSD-2-Clause */
#ifndef ALTOD_FIXTURES_H
#define ALTOD_FIXTURES_H

/* RFC 7285's example maps (§11.2.1.7, §11.2.3.7) plus a hopcount metric. */
static const char *RFC_MAPS = "network-maps:\n"
                              "  my-default-network-map:\n"
                              "    pids:\n"
                              "      PID1: {ipv4: [192.0.2.0/24, 198.51.100.0/25]}\n"
                              "      PID2: {ipv4: [198.51.100.128/25]}\n"
                              "      PID3: {ipv4: [0.0.0.0/0], ipv6: ['::/0']}\n"
                              "cost-maps:\n"
                              "  my-default-network-map:\n"
                              "    routingcost:\n"
                              "      PID1: {PID1: 1, PID2: 5, PID3: 10}\n"
                              "      PID2: {PID1: 5, PID2: 1, PID3: 15}\n"
                              "      PID3: {PID1: 20, PID2: 15}\n"
                              "    hopcount:\n"
                              "      PID1: {PID1: 0, PID2: 2, PID3: 3}\n";

#endif
