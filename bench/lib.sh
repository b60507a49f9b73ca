# shellcheck shell=bash
# bench/lib.sh — helpers for bench/run: start/stop Slate and nginx, run wrk,
# parse its output, record results. Sourced, not executed. Bash 4+.
#
# Everything lives under $BENCH_TMP (made by bench_setup) and every process
# started here is stopped by bench_cleanup (bench/run traps EXIT), by its own
# pid, never by name.
#
# The caller sets: SLATE_BIN (absolute path), BENCH_DATA (Slate's data dir),
# BENCH_DURATION, BENCH_CONNECTIONS, BENCH_THREADS, BENCH_ROUNDS,
# BENCH_WARMUP, BENCH_SERVER_THREADS.
# shellcheck disable=SC2153

# ---------------------------------------------------------------------------
# messages

bench_log() { printf 'bench: %s\n' "$*" >&2; }
bench_die() {
	printf 'bench: error: %s\n' "$*" >&2
	exit 1
}

# ---------------------------------------------------------------------------
# temp dir and cleanup

BENCH_TMP=""
SLATE_PID=""
SLATE_PORT=""
SLATE_LOG=""
NGINX_PID=""
NGINX_PORT=""
NGINX_DIR=""
BENCH_ADMIN_EMAIL=""
BENCH_ADMIN_PASSWORD=""
BENCH_ADMIN_COST=""
SLATE_WORKERS_N=""

bench_setup() {
	BENCH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/slate-bench.XXXXXX") || bench_die "cannot make a temp dir"
	mkdir -p "$BENCH_TMP/wrk"
}

bench_cleanup() {
	local rc=$?
	local p
	for p in "$WRK_PID" "$BG_WRK_PID"; do
		[ -n "$p" ] || continue
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	nginx_stop || true
	slate_stop || true
	if [ -n "$BENCH_TMP" ] && [ -d "$BENCH_TMP" ]; then
		if [ "${BENCH_KEEP:-0}" = 1 ]; then
			bench_log "kept $BENCH_TMP"
		else
			rm -rf "$BENCH_TMP"
		fi
	fi
	return "$rc"
}

# ---------------------------------------------------------------------------
# processes

# A free TCP port on 127.0.0.1 (the kernel's choice).
free_port() {
	if command -v python3 >/dev/null 2>&1; then
		python3 - <<'EOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
		return
	fi
	# No python3: a random high port that nobody listens on.
	local p i
	for i in $(seq 1 100); do
		p=$((20000 + RANDOM % 40000))
		if ! ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"
			return
		fi
	done
	bench_die "no free port found"
}

# stop_pid PID NAME GRACE_SECONDS: SIGTERM, wait up to GRACE, then SIGKILL
# (and SIGKILL its direct children, e.g. nginx workers whose master died).
stop_pid() {
	local pid=$1 name=$2 grace=${3:-10} i kids
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || {
		wait "$pid" 2>/dev/null
		return 0
	}
	kids=$(pgrep -P "$pid" 2>/dev/null || true)
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < grace * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		bench_log "$name (pid $pid) did not stop within ${grace}s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	for i in $kids; do
		if kill -0 "$i" 2>/dev/null; then kill -KILL "$i" 2>/dev/null || true; fi
	done
	return 0
}

# wait_https URL TIMEOUT_SECONDS PID: poll until URL answers 200 (certificate
# not checked: it is our self-signed one), or fail if PID dies or time runs out.
wait_https() {
	local url=$1 timeout=$2 pid=$3 deadline code
	deadline=$((SECONDS + timeout))
	while :; do
		code=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null) || code=000
		[ "$code" = 200 ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		[ "$SECONDS" -lt "$deadline" ] || return 1
		sleep 0.05
	done
}

# ---------------------------------------------------------------------------
# Slate

# slate_env_args: sets SLATE_ENV_ARGS to `env` options that take out of the
# environment of Slate children any SLATE_* that could change what is
# measured (bench/run sets what it means to set explicitly).
slate_env_args() {
	local v
	SLATE_ENV_ARGS=()
	for v in $(compgen -e); do
		case $v in SLATE_*) SLATE_ENV_ARGS+=(-u "$v") ;; esac
	done
}

# slate_init DATA_DIR: a fresh data dir whose first admin is
# BENCH_ADMIN_EMAIL with password BENCH_ADMIN_PASSWORD (set here; the login
# scenarios sign in with them).
slate_init() {
	local data=$1 out
	slate_env_args
	BENCH_ADMIN_EMAIL="admin@localhost"
	BENCH_ADMIN_PASSWORD="Bench-Only-Password-$$-$RANDOM!"
	if ! out=$(env "${SLATE_ENV_ARGS[@]}" SLATE_ADMIN_EMAIL="$BENCH_ADMIN_EMAIL" \
		SLATE_ADMIN_PASSWORD="$BENCH_ADMIN_PASSWORD" \
		"$SLATE_BIN" init --data "$data" 2>&1); then
		printf '%s\n' "$out" >&2
		bench_die "slate init failed"
	fi
	if [ ! -f "$data/tls/cert.pem" ] || [ ! -f "$data/tls/key.pem" ]; then
		bench_die "slate init made no $data/tls/cert.pem and key.pem"
	fi
	# shellcheck disable=SC2034 # read by bench/run's sign-in scenarios
	BENCH_ADMIN_COST=$(password_cost_of "$data" "$BENCH_ADMIN_EMAIL")
}

# password_cost_of DATA_DIR EMAIL: "argon2id m=19456,t=2,p=1", the parameters
# in the account's stored hash (what a sign-in pays), read through
# `slate sql` (the database file is encrypted); "?" on any surprise. Emails
# are sealed (looked up by a keyed index), so it reads the first instance
# administrator's hash: right after `slate init` that is the only account,
# EMAIL.
password_cost_of() {
	local hash
	hash=$("$SLATE_BIN" sql "SELECT password_hash FROM app_user WHERE is_instance_admin = 1 ORDER BY created_at, rowid LIMIT 1" --data "$1" 2>/dev/null) || {
		echo "?"
		return
	}
	awk -F'$' 'NF >= 4 { print $2 " " $4; ok = 1 } END { if (!ok) print "?" }' <<<"$hash"
}

# slate_start DATA_DIR [NAME=VALUE ...]: serve on a free loopback port; sets
# SLATE_PID, SLATE_PORT, SLATE_LOG and SLATE_WORKERS_N (its worker pool:
# Argon2id runs there). Extra arguments go into its environment.
slate_start() {
	local data=$1
	shift
	# a restart (serve_with) keeps the port: bench/gen.mjs's studio file names the URL
	SLATE_PORT=${SLATE_RESTART_PORT:-$(free_port)}
	SLATE_LOG="$BENCH_TMP/slate.log"
	slate_env_args
	# A simple command, so that $! is Slate itself (env execs it).
	# public_url is the address the bench uses: sign-ins and writes must name it as their Origin
	env "${SLATE_ENV_ARGS[@]}" SLATE_THREADS="$BENCH_SERVER_THREADS" \
		SLATE_PUBLIC_URL="https://127.0.0.1:$SLATE_PORT" "$@" \
		"$SLATE_BIN" serve --data "$data" --listen "127.0.0.1:$SLATE_PORT" \
		</dev/null >>"$SLATE_LOG" 2>&1 &
	SLATE_PID=$!
	if ! wait_https "https://127.0.0.1:$SLATE_PORT/healthz" 20 "$SLATE_PID"; then
		tail -n 20 "$SLATE_LOG" >&2
		bench_die "slate did not answer https://127.0.0.1:$SLATE_PORT/healthz with 200 within 20s"
	fi
	# If the listening line is logged (log level info or lower), believe it.
	local line port
	line=$(grep -m1 '"msg":"listening"' "$SLATE_LOG" 2>/dev/null || true)
	port=$(printf '%s' "$line" | sed -n 's/.*"https":"[^"]*:\([0-9]*\)".*/\1/p')
	if [ -n "$port" ] && [ "$port" != "$SLATE_PORT" ]; then
		bench_die "slate logged it listens on port $port, not $SLATE_PORT"
	fi
	slate_workers "$line" "$@"
	bench_log "slate pid $SLATE_PID on https://127.0.0.1:$SLATE_PORT ($BENCH_SERVER_THREADS threads)"
}

# slate_workers LISTENING_LINE [NAME=VALUE ...]: SLATE_WORKERS_N, the size of
# Slate's worker pool: what its "listening" line says; without that line
# (log level above info), SLATE_WORKERS from the arguments when above 0, else
# Slate's default, the number of online cores.
slate_workers() {
	local line=$1 a n=""
	shift
	SLATE_WORKERS_N=$(printf '%s' "$line" | sed -n 's/.*"workers":\([0-9]*\).*/\1/p')
	[ -z "$SLATE_WORKERS_N" ] || return 0
	for a in "$@"; do
		case $a in SLATE_WORKERS=*) n=${a#SLATE_WORKERS=} ;; esac
	done
	if [[ $n =~ ^[1-9][0-9]*$ ]]; then
		SLATE_WORKERS_N=$n
	else
		SLATE_WORKERS_N=$(getconf _NPROCESSORS_ONLN 2>/dev/null || nproc)
	fi
}

slate_stop() {
	[ -n "$SLATE_PID" ] || return 0
	stop_pid "$SLATE_PID" slate 15
	SLATE_PID=""
}

# ---------------------------------------------------------------------------
# nginx

# nginx_quote STRING: STRING as an nginx single-quoted string. '$' becomes
# ${bench_dollar} (set to a literal '$' by a geo block in the config).
nginx_quote() {
	local s=$1
	s=${s//\\/\\\\}
	s=${s//\'/\\\'}
	s=${s//\$/\$\{bench_dollar\}}
	s=${s//$'\n'/\\n}
	s=${s//$'\r'/\\r}
	s=${s//$'\t'/\\t}
	printf "'%s'" "$s"
}

# Temp-path directives for the modules this nginx has (Debian's compiled-in
# paths are under /var/lib/nginx, which we must not depend on).
nginx_temp_paths() {
	local dir=$1 v m
	v=$(nginx -V 2>&1)
	printf '    client_body_temp_path %s/tmp/body;\n' "$dir"
	for m in proxy fastcgi uwsgi scgi; do
		case $v in *"--without-http_${m}_module"*) continue ;; esac
		printf '    %s_temp_path %s/tmp/%s;\n' "$m" "$dir" "$m"
	done
}

# nginx_start LOCATIONS_FILE [READY_PATH]: serve over TLS on a free loopback
# port with the Slate data dir's certificate, the server{} body taken from
# LOCATIONS_FILE; ready once READY_PATH (/healthz) answers 200.
# Sets NGINX_PID, NGINX_PORT, NGINX_DIR.
nginx_start() {
	local locations=$1 health=${2:-/healthz}
	NGINX_DIR="$BENCH_TMP/nginx"
	rm -rf "$NGINX_DIR"
	mkdir -p "$NGINX_DIR/tmp" "$NGINX_DIR/logs"
	NGINX_PORT=$(free_port)
	local tls="$BENCH_DATA/tls"
	{
		cat <<EOF
# generated by bench/run — a baseline, never left running
daemon off;
master_process on;
worker_processes $BENCH_SERVER_THREADS;
pid $NGINX_DIR/nginx.pid;
lock_file $NGINX_DIR/nginx.lock;
error_log $NGINX_DIR/logs/error.log warn;
events {
    worker_connections 4096;
}
http {
    access_log off;
    server_tokens off;
    keepalive_timeout 65;
    keepalive_requests 10000000;
$(nginx_temp_paths "$NGINX_DIR")
    geo \$bench_dollar { default "\$"; }
    server {
        listen 127.0.0.1:$NGINX_PORT ssl reuseport;
        ssl_certificate $tls/cert.pem;
        ssl_certificate_key $tls/key.pem;
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305;
        ssl_session_cache shared:BENCH:10m;
        ssl_session_timeout 10m;
EOF
		cat "$locations"
		cat <<EOF
    }
}
EOF
	} >"$NGINX_DIR/nginx.conf"
	local t
	if ! t=$(nginx -t -p "$NGINX_DIR" -e "$NGINX_DIR/logs/error.log" -c "$NGINX_DIR/nginx.conf" 2>&1); then
		printf '%s\n' "$t" >&2
		bench_die "nginx rejected the generated config $NGINX_DIR/nginx.conf"
	fi
	nginx -p "$NGINX_DIR" -e "$NGINX_DIR/logs/error.log" -c "$NGINX_DIR/nginx.conf" \
		</dev/null >>"$NGINX_DIR/logs/stderr.log" 2>&1 &
	NGINX_PID=$!
	if ! wait_https "https://127.0.0.1:$NGINX_PORT$health" 10 "$NGINX_PID"; then
		tail -n 20 "$NGINX_DIR/logs/error.log" "$NGINX_DIR/logs/stderr.log" >&2 2>/dev/null
		bench_die "nginx did not answer https://127.0.0.1:$NGINX_PORT$health with 200 within 10s"
	fi
	bench_log "nginx pid $NGINX_PID on https://127.0.0.1:$NGINX_PORT ($BENCH_SERVER_THREADS workers)"
}

nginx_stop() {
	[ -n "$NGINX_PID" ] || return 0
	stop_pid "$NGINX_PID" nginx 10
	NGINX_PID=""
}

# nginx_mirror_location URL PATH OUT_FILE [CURL_ARGS...]: fetch URL (from
# Slate) and write an nginx location that answers PATH with the same status,
# body bytes, Content-Type and (static) response headers; X-Request-Id gets
# nginx's $request_id. Hop-by-hop and per-response headers are left to nginx.
# CURL_ARGS go to curl before the URL, e.g. `-H @FILE` for a session cookie
# (the header in a file, so that it is not on a command line). A body over
# 3000 bytes is split over `set` variables (nginx's config tokens are at
# most 4 KB), still answered from memory.
nginx_mirror_location() {
	local url=$1 path=$2 out=$3 hdr body status ctype name value
	shift 3
	hdr="$BENCH_TMP/mirror.headers"
	body="$BENCH_TMP/mirror.body"
	status=$(curl -sk --http1.1 -D "$hdr" -o "$body" -w '%{http_code}' --max-time 5 "$@" "$url") ||
		bench_die "cannot fetch $url"
	# Bodies with NUL bytes cannot go into an nginx string; none of ours has one.
	if [ "$(tr -d '\000' <"$body" | wc -c)" != "$(wc -c <"$body")" ]; then
		bench_die "$url answered a body with NUL bytes; cannot mirror it with 'return'"
	fi
	ctype=""
	{
		printf '        location = %s {\n' "$path"
		while IFS= read -r line; do
			line=${line%$'\r'}
			case $line in HTTP/* | "") continue ;; esac
			name=${line%%:*}
			value=${line#*:}
			value=${value# }
			case ${name,,} in
			content-type) ctype=$value ;;
			date | content-length | connection | keep-alive | server | transfer-encoding) ;;
			x-request-id) printf '            add_header X-Request-Id %s always;\n' "\$request_id" ;;
			*) printf '            add_header %s %s always;\n' "$name" "$(nginx_quote "$value")" ;;
			esac
		done <"$hdr"
		[ -n "$ctype" ] && printf '            default_type %s;\n' "$(nginx_quote "$ctype")"
		# $(...) strips trailing newlines; keep them with a sentinel.
		local b
		b=$(cat "$body"; printf x)
		b=${b%x}
		if [ "$(printf '%s' "$(nginx_quote "$b")" | wc -c)" -le 3000 ]; then
			printf '            return %s %s;\n' "$status" "$(nginx_quote "$b")"
		else
			# nginx refuses a config token over 4 KB, so a longer body goes
			# into variables of at most 3000 bytes each (set by the rewrite
			# module, as return is) and return joins them.
			local n k=0 q vars=""
			while [ -n "$b" ]; do
				n=1024
				while q=$(nginx_quote "${b:0:n}") && [ "$(printf '%s' "$q" | wc -c)" -gt 3000 ]; do
					n=$((n / 2))
				done
				k=$((k + 1))
				# shellcheck disable=SC2016 # a literal nginx variable
				printf '            set $bench_body_%d %s;\n' "$k" "$q"
				vars="$vars\$bench_body_$k"
				b=${b:n}
			done
			printf '            return %s "%s";\n' "$status" "$vars"
		fi
		printf '        }\n'
	} >"$out"
	bench_log "nginx mirrors $url: $status, ${ctype:-no Content-Type}, $(wc -c <"$body") body bytes"
}

# same_response URL_A URL_B [CURL_ARGS...]: check both answer the same
# status, Content-Type and body bytes (so the comparison is fair). CURL_ARGS
# (e.g. `-H @FILE`, a session cookie) go with both requests, as wrk sends
# the same request to both servers.
same_response() {
	local i u st ct
	local -a status=() ctype=() urls=("$1" "$2")
	shift 2
	for i in 1 2; do
		u=${urls[i - 1]}
		st=$(curl -sk --http1.1 -D "$BENCH_TMP/same.$i.h" -o "$BENCH_TMP/same.$i.b" \
			-w '%{http_code}' --max-time 5 "$@" "$u") || bench_die "cannot fetch $u"
		ct=$(grep -i '^content-type:' "$BENCH_TMP/same.$i.h" | tr -d '\r' | tr '[:upper:]' '[:lower:]')
		status+=("$st") ctype+=("$ct")
	done
	cmp -s "$BENCH_TMP/same.1.b" "$BENCH_TMP/same.2.b" ||
		bench_die "${urls[0]} and ${urls[1]} answer different bodies"
	[ "${ctype[0]}" = "${ctype[1]}" ] ||
		bench_die "${urls[0]} and ${urls[1]} answer different Content-Types ('${ctype[0]}' vs '${ctype[1]}')"
	[ "${status[0]}" = "${status[1]}" ] ||
		bench_die "${urls[0]} and ${urls[1]} answer different statuses (${status[0]} vs ${status[1]})"
}

# tls_of URL: "TLSv1.3 TLS_AES_256_GCM_SHA384", what an OpenSSL client with
# default settings negotiates (wrk uses OpenSSL defaults as well).
tls_of() {
	local hostport=${1#https://}
	hostport=${hostport%%/*}
	openssl s_client -connect "$hostport" </dev/null 2>/dev/null |
		awk '/^New, /{p=$2; sub(/,$/,"",p); c=$NF} END{if (p) print p, c; else print "?"}'
}

# ---------------------------------------------------------------------------
# wrk

# to_ms VALUE: wrk's "636.00us" / "1.23ms" / "2.00s" / "1.00m" / "1.00h" in ms.
to_ms() {
	awk -v v="$1" 'BEGIN {
		n = v; sub(/[a-z]+$/, "", n); u = v; sub(/^[0-9.]+/, "", u)
		if (u == "us") f = 0.001; else if (u == "ms") f = 1; else if (u == "s") f = 1000;
		else if (u == "m") f = 60000; else if (u == "h") f = 3600000; else { print "?"; exit 1 }
		printf "%.3f\n", n * f
	}'
}

# parse_wrk FILE: prints "RPS P50_MS P99_MS ERRORS" (errors: socket errors +
# non-2xx/3xx responses); fails if a figure is missing.
parse_wrk() {
	local f=$1 rps p50 p99 errs
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$f")
	p50=$(awk '$1 == "50%" {print $2; exit}' "$f")
	p99=$(awk '$1 == "99%" {print $2; exit}' "$f")
	errs=$(awk '
		/Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 }
		/Non-2xx or 3xx responses:/ { n += $NF }
		END { print n + 0 }' "$f")
	[ -n "$rps" ] && [ -n "$p50" ] && [ -n "$p99" ] || return 1
	p50=$(to_ms "$p50") || return 1
	p99=$(to_ms "$p99") || return 1
	printf '%s %s %s %s\n' "$rps" "$p50" "$p99" "$errs"
}

# wrk_bg OUT ARGS...: run wrk in the background and wait for it, so that a
# signal reaches our trap at once (bench_cleanup stops wrk too).
WRK_PID=""
wrk_bg() {
	local out=$1 rc=0
	shift
	wrk "$@" >"$out" 2>&1 </dev/null &
	WRK_PID=$!
	wait "$WRK_PID" || rc=$?
	WRK_PID=""
	return "$rc"
}

# wrk_bg_start OUT ARGS...: start wrk in the background (a second load that
# runs while wrk_bg or run_wrk measures something else); sets BG_WRK_PID.
# wrk_bg_wait waits for it; bench_cleanup stops it if we exit first.
BG_WRK_PID=""
wrk_bg_start() {
	local out=$1
	shift
	wrk "$@" >"$out" 2>&1 </dev/null &
	BG_WRK_PID=$!
}

wrk_bg_wait() {
	local rc=0
	[ -n "$BG_WRK_PID" ] || return 0
	wait "$BG_WRK_PID" || rc=$?
	BG_WRK_PID=""
	return "$rc"
}

# run_wrk LABEL URL [extra wrk args]: one measured run with the BENCH_*
# settings; sets WRK_RESULT to the parse_wrk line. Raw output in
# $BENCH_TMP/wrk/LABEL.txt.
WRK_RESULT=""
run_wrk() {
	local label=$1 url=$2
	shift 2
	run_wrk_with "$label" "$BENCH_THREADS" "$BENCH_CONNECTIONS" "$BENCH_DURATION" "$url" "$@"
}

# run_wrk_with LABEL THREADS CONNECTIONS SECONDS URL [extra wrk args]: the
# same with other settings.
run_wrk_with() {
	local label=$1 threads=$2 conns=$3 secs=$4 url=$5
	shift 5
	local out="$BENCH_TMP/wrk/$label.txt"
	if ! wrk_bg "$out" -t"$threads" -c"$conns" -d"${secs}s" --latency "$@" "$url"; then
		cat "$out" >&2
		bench_die "wrk failed against $url"
	fi
	if ! WRK_RESULT=$(parse_wrk "$out"); then
		cat "$out" >&2
		bench_die "cannot read requests/s, p50 and p99 from wrk's output ($label)"
	fi
	# A script that counts statuses (bench/*.lua) knows better than wrk what
	# an error is: every answer but 200.
	local counts
	if counts=$(lua_statuses "$out"); then
		local -a wf sc
		read -r -a wf <<<"$WRK_RESULT"
		read -r -a sc <<<"$counts"
		[ "${sc[2]}" = 0 ] || bench_log "WARNING: $label: ${sc[2]} of ${sc[0]} answers were not 200 (last: ${sc[3]})"
		WRK_RESULT="${wf[0]} ${wf[1]} ${wf[2]} $(($(wrk_socket_errors "$out") + sc[2]))"
	fi
	[ "${WRK_RESULT%% *}" != "0.00" ] || {
		cat "$out" >&2
		bench_die "wrk completed no requests against $url"
	}
}

# wrk_socket_errors FILE: connect + read + write + timeout errors in a wrk
# output (responses with an error status not counted).
wrk_socket_errors() {
	awk '/Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$1"
}

# login_statuses FILE: "RESPONSES STATUS_200 OTHER LAST_OTHER" from the line
# bench/login.lua prints at the end of a run; fails if it is missing.
login_statuses() {
	local line
	line=$(grep -m1 '^login\.lua: responses=' "$1") || return 1
	printf '%s\n' "$line" | sed 's/^login\.lua: responses=\([0-9]*\) status_200=\([0-9]*\) other=\([0-9]*\) last_other=\([0-9]*\)$/\1 \2 \3 \4/'
}

# lua_statuses FILE: the same from the line any bench/*.lua script that
# counts statuses prints ("NAME.lua: responses=..."); fails if there is none.
lua_statuses() {
	local line
	line=$(grep -m1 -E '^[a-z_]+\.lua: responses=[0-9]+ status_200=[0-9]+ other=[0-9]+ last_other=[0-9]+$' "$1") ||
		return 1
	printf '%s\n' "$line" | sed 's/^[a-z_]*\.lua: responses=\([0-9]*\) status_200=\([0-9]*\) other=\([0-9]*\) last_other=\([0-9]*\)$/\1 \2 \3 \4/'
}

# ---------------------------------------------------------------------------
# memory

# rss_mb PID: "VMRSS VMHWM" of a process in MB (MiB, one decimal): resident
# now and its peak, from /proc/PID/status; "? ?" if it is gone.
rss_mb() {
	awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 }
		END { if (r == "") print "? ?"; else printf "%.1f %.1f\n", r / 1024, h / 1024 }' \
		"/proc/$1/status" 2>/dev/null || echo "? ?"
}

# slate_rss: Slate's resident memory now, in MB ("?" if unknown).
slate_rss() {
	local -a m
	read -r -a m <<<"$(rss_mb "$SLATE_PID")"
	echo "${m[0]}"
}

# slate_hwm: Slate's peak resident memory since it started, in MB.
slate_hwm() {
	local -a m
	read -r -a m <<<"$(rss_mb "$SLATE_PID")"
	echo "${m[1]}"
}

# nginx_rss: resident memory of nginx's master and workers together, in MB.
nginx_rss() {
	local p kb=0 k
	[ -n "$NGINX_PID" ] || {
		echo "?"
		return
	}
	for p in "$NGINX_PID" $(pgrep -P "$NGINX_PID" 2>/dev/null || true); do
		k=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
		kb=$((kb + ${k:-0}))
	done
	awk -v k="$kb" 'BEGIN { printf "%.1f\n", k / 1024 }'
}

# warm_up URL [extra wrk args]: a short unmeasured run (TLS handshakes,
# caches, page faults).
warm_up() {
	local url=$1
	shift
	[ "$BENCH_WARMUP" -gt 0 ] || return 0
	wrk_bg "$BENCH_TMP/wrk/warmup.txt" -t"$BENCH_THREADS" -c"$BENCH_CONNECTIONS" -d"${BENCH_WARMUP}s" "$@" "$url" || {
		cat "$BENCH_TMP/wrk/warmup.txt" >&2
		bench_die "wrk warm-up failed against $url"
	}
}

# ---------------------------------------------------------------------------
# results: one row per (scenario, target), one verdict per scenario

RES_SCEN=() RES_TARGET=() RES_RPS=() RES_P50=() RES_P99=() RES_ERR=() RES_TLS=() RES_RSS=()
VERDICT_SCEN=() VERDICT_RATIO=() VERDICT_GOAL=() VERDICT_MET=()
NOTE_SCEN=() NOTE_TEXT=()

# record_note SCENARIO TEXT: a line printed under the scenario's table, for
# scenarios without an nginx ratio (their figures, how they were loaded).
# **bold** marks the headline figures in the markdown report (the plain
# report drops the asterisks).
record_note() {
	NOTE_SCEN+=("$1") NOTE_TEXT+=("$2")
}

# record_result SCENARIO TARGET RPS P50 P99 ERRORS TLS [RSS_MB]: RSS_MB is
# the server's resident memory right after the target's runs ("—" if not
# given).
record_result() {
	RES_SCEN+=("$1") RES_TARGET+=("$2") RES_RPS+=("$3") RES_P50+=("$4") RES_P99+=("$5")
	RES_ERR+=("$6") RES_TLS+=("$7") RES_RSS+=("${8:-—}")
}

record_verdict() { # SCENARIO RATIO GOAL [ERRORS]: errors make the figure invalid
	local met
	met=$(awk -v r="$2" -v g="$3" 'BEGIN { print (r + 0 >= g + 0) ? "met" : "not met" }')
	[ "${4:-0}" = 0 ] || met="$met, but INVALID: $4 errors in the runs kept (see above)"
	VERDICT_SCEN+=("$1") VERDICT_RATIO+=("$2") VERDICT_GOAL+=("$3") VERDICT_MET+=("$met")
}

# compare_targets SCENARIO GOAL SLATE_URL NGINX_URL [extra wrk args]:
# warm both up, then BENCH_ROUNDS rounds alternating slate, nginx; keep each
# target's run with the most requests/s (and that run's latencies).
compare_targets() {
	local scen=$1 goal=$2 surl=$3 nurl=$4
	shift 4
	local round best_s="" best_n="" r t rss_s="?" rss_n="?"
	warm_up "$surl" "$@"
	warm_up "$nurl" "$@"
	for ((round = 1; round <= BENCH_ROUNDS; round++)); do
		for t in slate nginx; do
			local u
			[ $t = slate ] && u=$surl || u=$nurl
			run_wrk "$scen-$t-$round" "$u" "$@"
			r=$WRK_RESULT
			bench_log "$scen round $round $t: $(fmt_run "$r")"
			if [ $t = slate ]; then
				best_s=$(better "$best_s" "$r")
				rss_s=$(slate_rss)
			else
				best_n=$(better "$best_n" "$r")
				rss_n=$(nginx_rss)
			fi
		done
	done
	local ts tn
	ts=$(tls_of "$surl")
	tn=$(tls_of "$nurl")
	local -a bs bn
	read -r -a bs <<<"$best_s"
	read -r -a bn <<<"$best_n"
	record_result "$scen" slate "${bs[@]}" "$ts" "$rss_s"
	record_result "$scen" nginx "${bn[@]}" "$tn" "$rss_n"
	[ "${bs[3]}" = 0 ] || bench_log "WARNING: $scen: every slate run had errors (socket errors or non-2xx/3xx)"
	[ "${bn[3]}" = 0 ] || bench_log "WARNING: $scen: every nginx run had errors (socket errors or non-2xx/3xx)"
	record_verdict "$scen" "$(awk -v a="${bs[0]}" -v b="${bn[0]}" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')" \
		"$goal" "$((bs[3] + bn[3]))"
}

# slate_rounds LABEL URL [extra wrk args]: for a scenario without nginx:
# warm up, then BENCH_ROUNDS measured runs against URL; sets BEST_RESULT to
# the parse_wrk line of the run kept (without errors first, then the most
# requests/s) and BEST_RSS to Slate's resident MB after the runs.
BEST_RESULT="" BEST_RSS=""
slate_rounds() {
	local label=$1 url=$2 round
	shift 2
	BEST_RESULT=""
	warm_up "$url" "$@"
	for ((round = 1; round <= BENCH_ROUNDS; round++)); do
		run_wrk "$label-$round" "$url" "$@"
		bench_log "$label round $round: $(fmt_run "$WRK_RESULT")"
		BEST_RESULT=$(better "$BEST_RESULT" "$WRK_RESULT")
	done
	# shellcheck disable=SC2034 # read by bench/run's scenarios
	BEST_RSS=$(slate_rss)
}

# better A B: of two parse_wrk lines, the one without errors, else the one
# with more requests/s (A may be empty).
better() {
	[ -n "$1" ] || {
		echo "$2"
		return
	}
	awk -v a="$1" -v b="$2" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		if ((x[4] == 0) != (y[4] == 0)) print (y[4] == 0) ? b : a
		else print (y[1] + 0 > x[1] + 0) ? b : a
	}'
}

fmt_run() { # "RPS P50 P99 ERRORS" as words
	local -a f
	read -r -a f <<<"$1"
	printf '%s req/s, p50 %s ms, p99 %s ms, %s errors' "${f[0]}" "${f[1]}" "${f[2]}" "${f[3]}"
}
