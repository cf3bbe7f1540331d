#!/bin/sh
# vpndnsctl -j: every JSON form comes from one writer and parses,
# whatever the data holds: a TXT record with quotes, backslashes, a tab
# and bytes that are not UTF-8, a forwarder's last error.
. "$(dirname "$0")/../lib.sh"
require_root

PORT=$(pick_port)
UP=$(pick_port)
printf 'ads.test\n' >"$T_DIR/ads.txt"
# the TXT strings as the configuration has them: \" and \\ escaped, a
# tab and a byte 0xff as they are
printf '%s\n' "listen on 127.0.0.1 port $PORT" 'domain "vpn.test"' \
    'record "t.vpn.test" TXT "say \"hi\" \\ back" "a	tab"' \
    "record \"u.vpn.test\" TXT \"z$(printf '\377')z\"" \
    'blocklist "ads" { file "ads.txt" }' \
    "forwarder \"up\" { server 127.0.0.2 port $UP timeout 100 }" \
    'match block "ads" forward "up"' |
    write_conf "$T_DIR/j.conf"
start_daemon "$T_DIR/j.conf" || { not_ok "daemon starts"; done_testing; }

# a server that does not answer: its last error goes into the JSON
dq +time=1 www.example >/dev/null 2>&1

# pyjson CMD... PYTHON: the output of vpndnsctl -j CMD parsed, PYTHON
# run on it as d
pyjson() {
	_py=$1; shift
	ctl -j "$@" >"$T_DIR/out.json" 2>"$T_DIR/err"
	python3 -c "import json, sys
d = json.load(open(sys.argv[1], encoding='utf-8'))
$_py" "$T_DIR/out.json" 2>&1
}

is "show records -j parses; the TXT record's data as the zone file has it" \
    "$(pyjson 'print([r["data"] for r in d if r["name"] == "t.vpn.test."][0])' \
    show records)" "\"say \\\"hi\\\" \\\\ back\" \"a$(printf '\t')tab\""
check "show records -j: the tab escaped in the JSON text itself" \
    grep -q 'a\\u0009tab' "$T_DIR/out.json"
is "show records -j: the byte that is not UTF-8, escaped as ldns does" \
    "$(pyjson 'print([r["data"] for r in d if r["name"] == "u.vpn.test."][0])' \
    show records)" '"z\255z"'
is "show records -j: name, ttl, class and type too" \
    "$(pyjson 'r = [r for r in d if r["name"] == "t.vpn.test."][0]
print(r["ttl"], r["class"], r["type"])' show records)" "30 IN TXT"
is "show records -j: every record" \
    "$(pyjson 'print(len(d))' show records)" \
    "$(ctl show records | wc -l)"
is "show status -j parses" \
    "$(pyjson 'print(d["resolver"]["records"], d["pid"]["parent"])' \
    show status)" "4 $D_PID"
like "show forwarders -j parses, the last error a string" \
    "$(pyjson 'print(d[0]["forwarder"], type(d[0]["servers"][0]["last_error"]).__name__)' \
    show forwarders)" "^up str"
is "show blocklists -j parses" \
    "$(pyjson 'print(d[0]["blocklist"], d[0]["names"])' show blocklists)" \
    "ads 1"
is "show peers -j parses" "$(pyjson 'print(d)' show peers)" "[]"
ctl -j show metrics >/dev/null 2>"$T_DIR/err"
like "-j with a command that has no JSON form: refused, and why" \
    "$?:$(cat "$T_DIR/err")" "^1:.*have a JSON form"
done_testing
