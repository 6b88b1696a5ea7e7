#!/bin/bash
# Record the SIP sample captures in samples/ with SIPp, over loopback only.
#
# Needs: root (tcpdump on the lo interface), sipp (Debian package
# sip-tester) and tcpdump; tshark is optional (used for a summary).
#
#   sudo samples/record.sh            # regenerate every samples/*.pcap
#   sudo samples/record.sh busy-udp   # regenerate only the named sample(s)
#
# For each sample: tcpdump is started on lo with a filter on the sample's two
# ports, a SIPp UAS (callee, scenarios/<scenario>-uas.xml) and a SIPp UAC
# (caller, scenarios/<scenario>-uac.xml) talk to each other on 127.0.0.1 for
# one call, then tcpdump is stopped with SIGINT.  Every sample uses its own pair
# of ports so that no other loopback traffic leaks into a capture.  SIPp runs
# in a temporary directory that is removed afterwards, so no SIPp log files
# are left behind.  Traffic is only ever sent to 127.0.0.1.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
SCN=$HERE/scenarios
IP=127.0.0.1

for tool in sipp tcpdump; do
    command -v "$tool" >/dev/null || { echo "record.sh: $tool not found" >&2; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
    echo "record.sh: must run as root (tcpdump on lo)" >&2
    exit 1
fi

WORK=$(mktemp -d /tmp/sipscope-record.XXXXXX)
TCPDUMP_PID=
cleanup() {
    if [ -n "$TCPDUMP_PID" ]; then kill -INT "$TCPDUMP_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

# record OUTNAME SCENARIO TRANSPORT UAC_PORT UAS_PORT UAC_RC UAS_RC TIMEOUT [UAC_OPTION...]
#   OUTNAME   capture file name without .pcap
#   SCENARIO  scenarios/SCENARIO-uac.xml and scenarios/SCENARIO-uas.xml
#   TRANSPORT SIPp -t value: u1 (UDP, one socket) or t1 (TCP, one connection)
#   UAC_RC,   expected exit status of the UAC and of the UAS sipp: 0 (call
#   UAS_RC    successful) or 1 (call counted as failed, e.g. a receive timeout)
#   TIMEOUT   SIPp -timeout value for both sides, e.g. 30s
#   UAC_OPTION... further SIPp options for the UAC only
record() {
    local name=$1 scn=$2 transport=$3 uac_port=$4 uas_port=$5 uac_rc=$6 uas_rc=$7 timeout=$8
    shift 8
    local dir=$WORK/$name rc_uac=0 rc_uas=0 i
    mkdir -p "$dir"
    : >"$dir/tcpdump.err"
    echo "== $name: $scn over $transport, UAC $IP:$uac_port -> UAS $IP:$uas_port"

    # -Z root: do not drop privileges, so tcpdump can write into $dir.
    # --immediate-mode: hand every packet over at once; otherwise packets still
    # sitting in the kernel capture buffer are lost when SIGINT arrives.
    tcpdump -Z root --immediate-mode -i lo -s 0 -U -w "$dir/$name.pcap" \
        "port $uac_port or port $uas_port" 2>"$dir/tcpdump.err" &
    TCPDUMP_PID=$!
    for i in $(seq 50); do
        grep -q 'listening on' "$dir/tcpdump.err" && break
        sleep 0.1
    done
    grep -q 'listening on' "$dir/tcpdump.err" || { cat "$dir/tcpdump.err" >&2; exit 1; }

    # callee (UAS); -mp: distinct media (RTP echo) port per instance.
    # -timeout: safety net so a broken scenario cannot hang the script.
    (cd "$dir" && exec sipp -sf "$SCN/$scn-uas.xml" -i $IP -p "$uas_port" \
        -mp $((uas_port + 10000)) -t "$transport" -m 1 -timeout "$timeout" -nostdin) \
        >"$dir/uas.out" 2>&1 &
    local uas_pid=$!
    sleep 0.5

    # caller (UAC), sends to the UAS
    (cd "$dir" && exec sipp $IP:"$uas_port" -sf "$SCN/$scn-uac.xml" -i $IP -p "$uac_port" \
        -mp $((uac_port + 10000)) -t "$transport" -m 1 -timeout "$timeout" -nostdin "$@") \
        >"$dir/uac.out" 2>&1 || rc_uac=$?
    wait "$uas_pid" || rc_uas=$?

    sleep 1
    kill -INT "$TCPDUMP_PID"
    wait "$TCPDUMP_PID" || true
    TCPDUMP_PID=

    if [ "$rc_uac" -ne "$uac_rc" ] || [ "$rc_uas" -ne "$uas_rc" ]; then
        echo "record.sh: $name: sipp failed (uac rc=$rc_uac, uas rc=$rc_uas)" >&2
        tail -n 25 "$dir/uac.out" "$dir/uas.out" >&2
        exit 1
    fi

    install -m 0644 "$dir/$name.pcap" "$HERE/$name.pcap"
    if command -v tshark >/dev/null; then
        tshark -r "$HERE/$name.pcap" -Y sip -T fields -e frame.number \
            -e sip.Method -e sip.Status-Code -e sip.CSeq 2>/dev/null | sed 's/^/   /'
    fi
}

# The UAS of missing-ack-udp exits with 1: SIPp counts the call whose ACK
# never arrived (recv timeout) as failed, which is the point of that sample.
# no-answer-udp: the UAC retransmits its INVITE 6 times (-max_invite_retrans
# 6: +0.5 s ... +31.5 s) and gives up after 32 s (Timer B, a recv timeout), so
# the UAC exits with 1; the UAS stays up for 34 s, hence the longer -timeout.
#
# name                 scenario          transport  UAC   UAS   UAC_RC  UAS_RC  TIMEOUT  UAC options
SAMPLES="
basic-call-udp         basic             u1         5160  5161  0       0       30s
basic-call-tcp         basic             t1         5162  5163  0       0       30s
busy-udp               busy              u1         5164  5165  0       0       30s
cancel-udp             cancel            u1         5166  5167  0       0       30s
missing-ack-udp        missing-ack       u1         5168  5169  0       1       30s
refer-transfer-udp     refer             u1         5170  5171  0       0       30s
refer-success-udp      refer-success     u1         5172  5173  0       0       30s
refer-no-notify-udp    refer-no-notify   u1         5174  5175  0       0       30s
register-digest-udp    register-digest   u1         5176  5177  0       0       30s
no-answer-udp          no-answer         u1         5178  5179  1       0       60s      -max_invite_retrans 6
"

wanted=" $* "
for arg in "$@"; do
    case "$SAMPLES" in
        *"
$arg "*) ;;
        *) echo "record.sh: unknown sample: $arg" >&2; exit 1 ;;
    esac
done
# uac_opts takes the rest of the line and is split into words on purpose.
while read -r name scn transport uac uas uac_rc uas_rc timeout uac_opts; do
    [ -n "$name" ] || continue
    if [ $# -gt 0 ] && [ "${wanted#* $name }" = "$wanted" ]; then continue; fi
    # shellcheck disable=SC2086
    record "$name" "$scn" "$transport" "$uac" "$uas" "$uac_rc" "$uas_rc" "$timeout" $uac_opts
done <<<"$SAMPLES"
