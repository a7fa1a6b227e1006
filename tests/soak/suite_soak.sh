#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# suite_soak.sh - the soak of tests/soak/soak.sh, short (make test): every
# fault once, 2 s each, 6 s of settling of which the last 3 must be clean.
# make soak runs the long one (docs/soak.md).
export SOAK_S=${SOAK_S:-6} SOAK_CLEAN=${SOAK_CLEAN:-3} SOAK_HOLD=${SOAK_HOLD:-2}
export SOAK_ROUNDS=${SOAK_ROUNDS:-1}
# every fault but bgp_reset_all, whose failures (no route while the
# router's sessions come back) are the network's, not the balancer's
export SOAK_FAULTS=${SOAK_FAULTS:-backend_kill link_down xlbd_kill \
xlbd_upgrade bird_restart bgp_reset reload_vip conn_flood}
exec "$(dirname "$0")/soak.sh"
