/*
 * linechat/script_rx.c — ~/.../ expects: what reaches glibc's regcomp.
 *
 * glibc's regex engine has no resource limits: stacked or deeply nested
 * repetitions make regcomp exponential, large intervals are copied out
 * node by node, back-references make regexec exponential, and trying a
 * pattern at every start is quadratic.  So the pattern language is cut to
 * what compiles and runs in bounded time, and each regex gets a filter
 * that finds out in one pass whether it matches at all.
 */
#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linechat/script.h"
#include "linechat/script_int.h"

/* glibc copies a subexpression for each count of an interval (and once
 * for a+), so nested intervals multiply; keep the product small. */
#define RX_MAXCOST	256
#define RX_MAXDEPTH	32
#define RX_MAXNEST	3	/* repetitions of repetitions of ... */

static int
refuse(size_t *bad, size_t at, char *msg, size_t msglen, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int
refuse(size_t *bad, size_t at, char *msg, size_t msglen, const char *fmt, ...)
{
	va_list ap;

	*bad = at;
	va_start(ap, fmt);
	vsnprintf(msg, msglen, fmt, ap);
	va_end(ap);
	return -1;
}

int
lc_rx_prepare(const char *w, size_t to, char *pat, size_t *bad, char *msg,
    size_t msglen)
{
	char cls = 0;
	size_t i, n = 0, brfirst = 0, d = 0;
	unsigned long sum[RX_MAXDEPTH + 1], last = 0, lo, hi;
	int comma, inbr = 0, quant = 0, lastq = 0, qd[RX_MAXDEPTH + 1];

	if (to == 0)
		return refuse(bad, 0, msg, msglen, "empty regex");
	if (to > LC_SCRIPT_MAXSTR)
		return refuse(bad, 0, msg, msglen, "regex longer than %d bytes",
		    LC_SCRIPT_MAXSTR);
	/* sum[d] estimates the automaton size of the group open at depth d
	 * (glibc copies a subexpression once per interval count); last is
	 * the size of the atom an interval would repeat. */
	sum[0] = 0;
	qd[0] = 0;
	for (i = 0; i <= to; i++) {
		char c;

		if (sum[d] > RX_MAXCOST || last > RX_MAXCOST)
			return refuse(bad, i - 1, msg, msglen,
			    "regex repetition too large");
		if (i == to)
			break;
		c = w[i];
		if (c == '\\' && i + 1 < to) {
			c = w[++i];
			if (!inbr && c >= '1' && c <= '9')
				return refuse(bad, i - 1, msg, msglen,
				    "regex back-references are not supported");
			if (c == 'r' || c == 'n' || c == 't')
				pat[n++] = c == 'r' ? '\r' : c == 'n' ? '\n' : '\t';
			else {
				pat[n++] = '\\';
				pat[n++] = c;
			}
			if (!inbr) {
				sum[d] += last = 1;
				quant = lastq = 0;
			}
			continue;
		}
		pat[n++] = c;
		if (inbr) {
			if (c == '[' && i + 1 < to && w[i + 1] != '\0' &&
			    strchr(":.=", w[i + 1]) != NULL)
				cls = w[i + 1];
			else if (cls && c == cls && i + 1 < to &&
			    w[i + 1] == ']') {
				pat[n++] = w[++i];
				cls = 0;
			} else if (!cls && c == ']' && i > brfirst)
				inbr = 0;
			continue;
		}
		/* glibc's closures grow exponentially with stacked
		 * operators like a**** or a+{2}?. */
		if (strchr("*+?{", c) != NULL && quant)
			return refuse(bad, i, msg, msglen, "regex repetition operator "
			    "after another");
		quant = strchr("*+?{", c) != NULL;
		if (quant) {
			/* ...and with repetitions nested deeply. */
			if (++lastq > RX_MAXNEST)
				return refuse(bad, i, msg, msglen, "regex repetitions "
				    "nest deeper than %d", RX_MAXNEST);
			if (lastq > qd[d])
				qd[d] = lastq;
		} else if (c != ')')
			lastq = 0;
		switch (c) {
		case '[':
			inbr = 1;
			cls = 0;
			if (i + 1 < to && w[i + 1] == '^')
				pat[n++] = w[++i];
			brfirst = i + 1;	/* a ] there is a member */
			sum[d] += last = 1;
			continue;
		case '(':
			if (d == RX_MAXDEPTH)
				return refuse(bad, i, msg, msglen, "regex nests deeper "
				    "than %d", RX_MAXDEPTH);
			sum[++d] = 0;
			qd[d] = 0;
			last = 0;
			continue;
		case ')':
			/* A literal ) would close the filter's group. */
			if (d == 0)
				return refuse(bad, i, msg, msglen, "unmatched ) in regex "
				    "(write \\) for a literal ))");
			last = sum[d];
			lastq = qd[d--];
			sum[d] += last;
			if (lastq > qd[d])
				qd[d] = lastq;
			continue;
		case '|': case '*': case '?':
			continue;
		case '+':		/* glibc: a+ is a copy of a, then a* */
			sum[d] += last;
			last *= 2;
			continue;
		case '{':
			break;
		default:
			sum[d] += last = 1;
			continue;
		}
		if (c != '{')
			continue;
		lo = hi = 0;
		comma = 0;
		for (; i + 1 < to && isdigit((unsigned char)w[i + 1]); i++) {
			pat[n++] = w[i + 1];
			if (lo <= RX_MAXCOST)
				lo = lo * 10 + (unsigned long)(w[i + 1] - '0');
		}
		if (i + 1 < to && w[i + 1] == ',') {
			comma = 1;
			pat[n++] = w[++i];
		}
		for (; i + 1 < to && isdigit((unsigned char)w[i + 1]); i++) {
			pat[n++] = w[i + 1];
			if (hi <= RX_MAXCOST)
				hi = hi * 10 + (unsigned long)(w[i + 1] - '0');
		}
		if (i + 1 < to && w[i + 1] == '}')
			pat[n++] = w[++i];
		if (!comma)
			hi = lo;
		else if (hi == 0)
			hi = lo + 1;
		if (hi > RX_MAXCOST)
			hi = RX_MAXCOST + 1;
		if (hi > 1)
			sum[d] += last * (hi - 1);
		last *= hi > 1 ? hi : 1;
	}
	pat[n] = '\0';
	return 0;
}

int
lc_rx_compile(const char *rx, regex_t *full, regex_t *pre, char *err,
    size_t errlen)
{
	char *pat;
	int rc;

	if ((rc = regcomp(full, rx, REG_EXTENDED | REG_NEWLINE)) != 0) {
		regerror(rc, full, err, errlen);
		return rc;
	}
	if (asprintf(&pat, "^([^\n]|\n)*(%s)", rx) < 0) {
		regfree(full);
		snprintf(err, errlen, "out of memory");
		return REG_ESPACE;
	}
	rc = regcomp(pre, pat, REG_EXTENDED | REG_NEWLINE | REG_NOSUB);
	free(pat);
	if (rc != 0) {
		regerror(rc, pre, err, errlen);
		regfree(full);
	}
	return rc;
}
