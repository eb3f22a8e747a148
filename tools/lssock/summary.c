/*
 * lssock -s: counts in the shape of ss -s, from one full dump (ss reads
 * /proc/net/sockstat; only the total and orphans come from there here).
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
}

/* "sockets: used N" and the TCP "orphan N" of net/sockstat; 0 if absent. */
static void
sockstat(const char *procroot, unsigned long *used, unsigned long *orphan)
{
	char path[4096], line[256];
	FILE *f;

	*used = *orphan = 0;
	snprintf(path, sizeof(path), "%s/net/sockstat", procroot ? procroot : "/proc");
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "sockets: used %lu", used) == 1)
			continue;
		sscanf(line, "TCP: inuse %*u orphan %lu", orphan);
	}
	fclose(f);
}

int
ls_summary_print(const struct ls_summary *sum, const char *procroot, FILE *out)
{
	static const char *const names[3] = { "TCP", "UDP", "RAW" };
	unsigned long used, orphan, inet[3] = { 0, 0, 0 };
	int p, k;

	sockstat(procroot, &used, &orphan);
	fprintf(out, "Total: %lu\n", used);
	fprintf(out, "TCP:   %lu (estab %lu, closed %lu, orphaned %lu, "
	    "timewait %lu)\n\n", sum->n[0][0],
	    sum->tcp_state[SK_SS_ESTABLISHED], sum->tcp_state[SK_SS_CLOSE],
	    orphan, sum->tcp_state[SK_SS_TIME_WAIT]);
	fprintf(out, "%-9s %-9s %-9s %-9s\n", "Transport", "Total", "IP", "IPv6");
	for (p = 2; p >= 0; p--) {
		fprintf(out, "%-9s %-9lu %-9lu %-9lu\n", names[p], sum->n[p][0],
		    sum->n[p][1], sum->n[p][2]);
		for (k = 0; k < 3; k++)
			inet[k] += sum->n[p][k];
	}
	fprintf(out, "%-9s %-9lu %-9lu %-9lu\n", "INET", inet[0], inet[1], inet[2]);
	fprintf(out, "%-9s %-9lu\n", "UNIX", sum->n[3][0]);
	return fflush(out) == EOF || ferror(out) ? -1 : 0;
}
