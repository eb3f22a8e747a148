# Test hosts in network namespaces, joined to the host by a veth pair.
# Addresses come only from the benchmarking ranges: host side
# 198.18.N.1/24 and 2001:2:0:N::1/64, namespace side .2 (and .3 with
# sk_netns_addr), where N is the namespace's index (1-250).
#
#   sk_netns_up IDX            # creates namespace sk<pid>-IDX, prints its name
#   sk_netns_exec IDX cmd...   # run inside it
#   sk_netns_block IDX drop|reject PORT [ip|ip6|inet] [DADDR]
#   sk_netns_addr IDX ADDR/LEN # add an address inside
#   sk_netns_dead_resolver IDX # its resolv.conf names a server that drops
#   sk_netns_cleanup_all       # teardown: everything created here goes
#
# Everything created is recorded and removed by name, never by pattern.

SK_NETNS=()

sk_netns_name() { echo "sk$$-$1"; }
sk_netns_veth() { echo "skv$$x$1" | cut -c1-15; }

sk_netns_up() {
	local idx=$1 ns veth
	ns=$(sk_netns_name "$idx")
	veth=$(sk_netns_veth "$idx")
	ip netns add "$ns" || return 1
	SK_NETNS+=("$idx")
	ip link add "$veth" type veth peer name skpeer netns "$ns" || return 1
	ip addr add "198.18.$idx.1/24" dev "$veth"
	ip -6 addr add "2001:2:0:$idx::1/64" dev "$veth" nodad
	ip link set "$veth" up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "198.18.$idx.2/24" dev skpeer
	ip -n "$ns" -6 addr add "2001:2:0:$idx::2/64" dev skpeer nodad
	ip -n "$ns" link set skpeer up
	ip netns exec "$ns" nft add table inet sktest
	ip netns exec "$ns" nft add chain inet sktest input \
		'{ type filter hook input priority 0; }'
	echo "$ns"
}

sk_netns_exec() {
	local idx=$1
	shift
	ip netns exec "$(sk_netns_name "$idx")" "$@"
}

sk_netns_addr() {
	local fam=-4
	case $2 in *:*) fam=-6 ;; esac
	ip -n "$(sk_netns_name "$1")" $fam addr add "$2" dev skpeer nodad 2>/dev/null ||
		ip -n "$(sk_netns_name "$1")" $fam addr add "$2" dev skpeer
}

# Drop (blackhole) or reject (RST) TCP to PORT inside namespace IDX,
# optionally only for one family (ip = IPv4, ip6 = IPv6) or one address.
sk_netns_block() {
	local idx=$1 verdict=$2 port=$3 fam=${4:-inet} daddr=${5:-} match=""
	[ "$verdict" = reject ] && verdict="reject with tcp reset"
	case $fam in
	ip) match="meta nfproto ipv4" ;;
	ip6) match="meta nfproto ipv6" ;;
	esac
	if [ -n "$daddr" ]; then
		case $daddr in
		*:*) match="$match ip6 daddr $daddr" ;;
		*) match="$match ip daddr $daddr" ;;
		esac
	fi
	sk_netns_exec "$idx" nft add rule inet sktest input $match tcp dport "$port" $verdict
}

sk_netns_down() {
	local idx=$1 ns
	ns=$(sk_netns_name "$idx")
	# Processes started inside go first (recorded pids are killed by
	# server.bash; this catches only ours, by namespace).
	local p
	for p in $(ip netns pids "$ns" 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null
	done
	ip link del "$(sk_netns_veth "$idx")" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	# Only what sk_netns_dead_resolver made for this namespace.
	rm -f "/etc/netns/$ns/resolv.conf"
	rmdir "/etc/netns/$ns" 2>/dev/null
	return 0
}

sk_netns_cleanup_all() {
	local i
	for i in "${SK_NETNS[@]}"; do
		sk_netns_down "$i"
	done
	SK_NETNS=()
}

# Run cmd... with /etc/hosts replaced by FILE, in a private mount
# namespace, so test host names resolve without touching the system.
sk_with_hosts() {
	local file=$1
	shift
	unshare -m sh -c 'mount --bind "$0" /etc/hosts && exec "$@"' "$file" "$@"
}

# Give namespace IDX a resolver that never answers: its resolv.conf
# (/etc/netns/NAME/resolv.conf, which `ip netns exec` mounts over
# /etc/resolv.conf) names 127.0.0.1, and DNS to it is dropped inside.
sk_netns_dead_resolver() {
	local idx=$1 ns
	ns=$(sk_netns_name "$idx")
	mkdir -p "/etc/netns/$ns" || return 1
	printf 'nameserver 127.0.0.1\noptions timeout:5 attempts:2\n' \
		>"/etc/netns/$ns/resolv.conf"
	sk_netns_exec "$idx" nft add rule inet sktest input udp dport 53 drop
	sk_netns_exec "$idx" nft add rule inet sktest input tcp dport 53 drop
}
