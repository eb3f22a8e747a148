/*
 * --ignore for --replay: the parts of a line that change from run to run
 * (an HTTP Date: header, a session id) are left out before two lines are
 * compared.  Patterns go through the same checks as a script's ~/.../,
 * since they run over what the peer sends.
 */
#include <errno.h>
#include <regex.h>
#include <string.h>

#include "sockkit/err.h"
#include "linechat/script.h"
#include "linechat/script_int.h"
#include "linechat/transcript.h"
#include "linechat/transcript_int.h"

int
lc_ignore_compile(const char *pattern, regex_t *rx, struct sk_err *e)
{
	char pat[LC_SCRIPT_MAXSTR + 1], msg[128];
	regmatch_t m;
	size_t bad;
	int rc;

	if (lc_rx_prepare(pattern, strlen(pattern), pat, &bad, msg,
	    sizeof(msg)) == -1)
		return sk_err_set(e, EINVAL, "--ignore %s: %s", pattern, msg);
	if ((rc = regcomp(rx, pat, REG_EXTENDED)) != 0) {
		regerror(rc, rx, msg, sizeof(msg));
		regfree(rx);
		return sk_err_set(e, EINVAL, "--ignore %s: %s", pattern, msg);
	}
	/* A pattern that matches nothing at all would hide no difference
	 * but could match at every byte. */
	if (regexec(rx, "", 1, &m, 0) == 0) {
		regfree(rx);
		return sk_err_set(e, EINVAL, "--ignore %s: matches the empty "
		    "string", pattern);
	}
	return 0;
}

size_t
lc__ignore_strip(const regex_t *rx, size_t nrx, const unsigned char *in,
    size_t n, unsigned char *out)
{
	char buf[LC_REPLAY_LINE_MAX + 1];
	size_t pos = 0, o = 0, i, so, eo;
	regmatch_t m;

	if (n > LC_REPLAY_LINE_MAX)
		n = LC_REPLAY_LINE_MAX;
	/* NUL-terminated for regexec interceptors (ASan), whatever the
	 * line holds; REG_STARTEND gives the real length. */
	memcpy(buf, in, n);
	buf[n] = '\0';
	while (pos < n) {
		so = eo = n;
		for (i = 0; i < nrx; i++) {
			m.rm_so = (regoff_t)pos;
			m.rm_eo = (regoff_t)n;
			if (regexec(&rx[i], buf, 1, &m, REG_STARTEND |
			    (pos > 0 ? REG_NOTBOL : 0)) != 0)
				continue;
			if ((size_t)m.rm_so < so || ((size_t)m.rm_so == so &&
			    (size_t)m.rm_eo > eo)) {
				so = (size_t)m.rm_so;
				eo = (size_t)m.rm_eo;
			}
		}
		memcpy(out + o, in + pos, so - pos);
		o += so - pos;
		if (so == n)
			break;
		/* An empty match still moves on by one byte. */
		if (eo == so) {
			out[o++] = in[so];
			eo = so + 1;
		}
		pos = eo;
	}
	return o;
}
