/*
 * lssock -s: counts in the shape of ss -s, from one full dump and
 * /proc/net/sockstat.
 */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "lssock/lssock.h"

void
ls_summary_add(struct ls_summary *sum, const struct sk_sock *s)
{
	int p = s->proto == SK_SD_TCP ? 0 : s->proto == SK_SD_UDP ? 1 :
	    s->proto == SK_SD_RAW ? 2 : 3;

	sum->n[p][0]++;
	if (s->family == AF_INET)
		sum->n[p][1]++;
	else if (s->family == AF_INET6)
		sum->n[p][2]++;
	if (p == 0 && (unsigned)s->state < SK_SS_MAX)
		sum->tcp_state[s->state]++;
	if (p == 0 && s->state == SK_SS_TIME_WAIT)
		sum->tw[s->family == AF_INET6]++;
}

struct sockstat {
	unsigned long used, inuse, orphan, tw, alloc, frag;
};

/* The counters ss -s prints from net/sockstat; 0 where absent. */
static void
read_sockstat(const char *procroot, struct sockstat *st)
{
	char path[4096], line[256];
	FILE *f;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/net/sockstat", procroot ? procroot : "/proc");
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "sockets: used %lu", &st->used) == 1)
			continue;
		if (sscanf(line, "TCP: inuse %lu orphan %lu tw %lu alloc %lu",
		    &st->inuse, &st->orphan, &st->tw, &st->alloc) >= 1)
			continue;
		sscanf(line, "FRAG: inuse %lu", &st->frag);
	}
	fclose(f);
}

/*
 * As ss -s: the TCP line counts allocated sockets and TIME-WAIT from
 * sockstat (closed = those the dump did not see open), the table counts
 * the sockets the dump saw, TCP without TIME-WAIT.
 */
int
ls_summary_print(const struct ls_summary *sum, const char *procroot, FILE *out)
{
	static const char *const names[3] = { "TCP", "UDP", "RAW" };
	unsigned long n[3][3], inet[3] = { 0, 0, 0 };
	struct sockstat st;
	int p, k;

	read_sockstat(procroot, &st);
	memcpy(n, sum->n, sizeof(n));
	n[0][0] -= sum->tcp_state[SK_SS_TIME_WAIT];
	n[0][1] -= sum->tw[0];
	n[0][2] -= sum->tw[1];
	fprintf(out, "Total: %lu\n", st.used);
	fprintf(out, "TCP:   %lu (estab %lu, closed %lu, orphaned %lu, "
	    "timewait %lu)\n\n", st.alloc + st.tw,
	    sum->tcp_state[SK_SS_ESTABLISHED],
	    st.alloc + st.tw > n[0][0] ? st.alloc + st.tw - n[0][0] : 0,
	    st.orphan, st.tw);
	fprintf(out, "%-9s %-9s %-9s %-9s\n", "Transport", "Total", "IP", "IPv6");
	for (p = 2; p >= 0; p--) {
		fprintf(out, "%-9s %-9lu %-9lu %-9lu\n", names[p], n[p][0],
		    n[p][1], n[p][2]);
		for (k = 0; k < 3; k++)
			inet[k] += n[p][k];
	}
	fprintf(out, "%-9s %-9lu %-9lu %-9lu\n", "INET", inet[0], inet[1], inet[2]);
	fprintf(out, "%-9s %-9lu %-9lu %-9lu\n", "FRAG", st.frag, 0UL, 0UL);
	return fflush(out) == EOF || ferror(out) ? -1 : 0;
}
