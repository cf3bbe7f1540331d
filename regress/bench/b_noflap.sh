#!/bin/sh
# An active peer never flaps, at full length (issue 18): the integration
# test t_activity.sh with the issue's figures, keepalive 5 s, threshold
# 20 and 150 one-second probes, across the 120 s rekey of a real
# wireguard-go peer (make check runs it for 40 s with threshold 10).
ACT_THRESHOLD=20 ACT_KEEPALIVE=5 ACT_PROBE=150 \
    exec sh "$(dirname "$0")/../integration/t_activity.sh"
