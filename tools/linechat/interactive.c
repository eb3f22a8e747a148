/*
 * Interactive mode (stdin is a terminal): libedit line editing with a
 * history per service; incoming data shown as it arrives, above the line
 * being edited, with control bytes made visible; status lines for
 * connection events; ~ escapes at the start of a line.
 *
 * libedit reads keys through our getc function, which waits on the
 * terminal and the socket at once: that is how peer data gets shown while
 * the user is typing.
 */
#include <errno.h>
#include <histedit.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wchar.h>

#include "sockkit/deadline.h"
#include "linechat/conn.h"
#include "linechat/linechat.h"
#include "linechat/render.h"

#define HISTORY_MAX 1000

struct ia {
	struct lc_conn *c;
	const struct lc_opts *o;
	struct lc_render r;
	EditLine *el;
	int at_bol;		/* the last shown peer byte ended a line */
	int failed;		/* reset or error: exit 3 */
	char prompt[64];
};

static const char escapes_help[] =
    "escapes (at the start of a line):\n"
    "  ~.          quit at once\n"
    "  ~?          this list\n"
    "  ~starttls   switch to TLS now (after the protocol's own command)\n"
    "  ~~text      send a line starting with ~text\n"
    "  Ctrl-D      close our side (the peer may still send)\n";

/* Print text above the line being edited, then redraw that line. */
static void
show(struct ia *a, const char *text, int status)
{
	int color = a->o->color;

	fputs("\r\033[K", stdout);
	if (status) {
		if (!a->at_bol)
			fputc('\n', stdout);
		fprintf(stdout, "%s* %s%s\n", color ? "\033[1;36m" : "", text,
		    color ? "\033[0m" : "");
		a->at_bol = 1;
	} else {
		fputs(text, stdout);
		if (*text != '\0')
			a->at_bol = text[strlen(text) - 1] == '\n';
		/* The prompt needs a line of its own. */
		if (!a->at_bol)
			fputc('\n', stdout);
	}
	fflush(stdout);
	if (a->el != NULL)
		el_set(a->el, EL_REFRESH);
}

static void
show_data(struct ia *a, const char *buf, size_t n)
{
	char out[4096];
	size_t k;

	while (n > 0) {
		k = lc_render(&a->r, buf, n, out, sizeof(out));
		if (*out != '\0')
			show(a, out, 0);
		buf += k;
		n -= k;
		if (k == 0)
			break;
	}
}

/* Read and show everything the peer has sent.  -1 when the connection
 * is over for reading. */
static int
drain_peer(struct ia *a)
{
	char buf[16384], tail[LC_RENDER_MIN];
	ssize_t n;

	for (;;) {
		n = lc_conn_read(a->c, buf, sizeof(buf));
		if (n > 0) {
			show_data(a, buf, (size_t)n);
			continue;
		}
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (lc_render_flush(&a->r, tail, sizeof(tail)) > 0)
			show(a, tail, 0);
		if (n == 0) {
			show(a, a->c->wr_shut ? "peer closed its side too; done" :
			    "peer closed its side; you may still send (Ctrl-D or ~. "
			    "to finish)", 1);
		} else {
			char msg[128];

			snprintf(msg, sizeof(msg), "%s", errno == ECONNRESET ?
			    "connection reset by peer" : strerror(errno));
			show(a, msg, 1);
			a->failed = 1;
		}
		return -1;
	}
}

/* libedit's key source: wait on the terminal and the socket together. */
static int
getc_fn(EditLine *el, wchar_t *wc)
{
	struct ia *a;
	struct pollfd pfd[2];
	mbstate_t mbs;
	char ch;
	ssize_t n;
	size_t k;
	int timeout;

	el_get(el, EL_CLIENTDATA, &a);
	memset(&mbs, 0, sizeof(mbs));
	for (;;) {
		pfd[0].fd = 0;
		pfd[0].events = POLLIN;
		pfd[1].fd = a->c->rd_eof || a->failed ? -1 : a->c->fd;
		pfd[1].events = lc_conn_rd_events(a->c);
		timeout = pfd[1].fd >= 0 && pfd[1].events == 0 ? 0 : -1;
		if (pfd[1].events == 0)
			pfd[1].events = POLLIN;
		if (poll(pfd, 2, timeout) == -1 && errno != EINTR)
			return -1;
		if (pfd[1].fd >= 0 && (pfd[1].revents || timeout == 0)) {
			if (drain_peer(a) == -1 && (a->failed || a->c->wr_shut))
				return 0;	/* nothing more can happen */
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP)))
			continue;
		n = read(0, &ch, 1);
		if (n == 0)
			return 0;
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			return -1;
		}
		k = mbrtowc(wc, &ch, 1, &mbs);
		if (k == (size_t)-2)
			continue;	/* more bytes of a character to come */
		if (k == (size_t)-1) {
			memset(&mbs, 0, sizeof(mbs));
			*wc = (unsigned char)ch;
		}
		return 1;
	}
}

static char *
prompt_fn(EditLine *el)
{
	struct ia *a;

	el_get(el, EL_CLIENTDATA, &a);
	return a->prompt;
}

/* ~/.local/state/linechat/SERVICE.history (XDG_STATE_HOME honoured). */
static int
history_path(const char *service, char *buf, size_t len)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char dir[PATH_MAX];
	const char *p;

	for (p = service; *p; p++)
		if (*p == '/' || *p == '.')
			return -1;	/* never a path out of the directory */
	if (state != NULL && *state == '/')
		snprintf(dir, sizeof(dir), "%s/linechat", state);
	else if (home != NULL && *home == '/')
		snprintf(dir, sizeof(dir), "%s/.local/state/linechat", home);
	else
		return -1;
	if (snprintf(buf, len, "%s/%s.history", dir, service) >= (int)len)
		return -1;
	/* mkdir -p of the last three levels is enough for the usual case. */
	if (home != NULL && state == NULL) {
		char tmp[PATH_MAX];

		snprintf(tmp, sizeof(tmp), "%s/.local", home);
		mkdir(tmp, 0700);
		snprintf(tmp, sizeof(tmp), "%s/.local/state", home);
		mkdir(tmp, 0700);
	}
	mkdir(dir, 0700);
	return 0;
}

int
lc_interactive(struct lc_conn *c, const struct lc_opts *o)
{
	const char *eol = o->raw || o->lf ? "\n" : "\r\n";
	struct ia a = { .c = c, .o = o, .at_bol = 1 };
	char hpath[PATH_MAX], msg[256];
	const char *line;
	History *h;
	HistEvent he;
	size_t len;
	int count, have_hist;

	lc_render_init(&a.r, (o->show_crlf ? LC_RENDER_SHOW_CRLF : 0) |
	    (o->color ? LC_RENDER_COLOR : 0));
	snprintf(a.prompt, sizeof(a.prompt), "%s> ", o->service ? o->service :
	    "linechat");
	h = history_init();
	history(h, &he, H_SETSIZE, HISTORY_MAX);
	history(h, &he, H_SETUNIQUE, 1);
	have_hist = history_path(o->unix_path ? "unix" : o->service, hpath,
	    sizeof(hpath)) == 0;
	if (have_hist)
		history(h, &he, H_LOAD, hpath);
	/* Before libedit exists, so the prompt is drawn once, by el_gets. */
	show(&a, "connected; ~? lists escapes", 1);
	drain_peer(&a);
	a.el = el_init("linechat", stdin, stdout, stderr);
	el_set(a.el, EL_CLIENTDATA, &a);
	el_set(a.el, EL_EDITOR, "emacs");
	el_set(a.el, EL_HIST, history, h);
	el_set(a.el, EL_PROMPT, prompt_fn);
	el_set(a.el, EL_GETCFN, getc_fn);
	el_set(a.el, EL_SIGNAL, 1);
	el_source(a.el, NULL);

	while (!a.failed) {
		line = el_gets(a.el, &count);
		if (line == NULL || count <= 0) {
			/* Ctrl-D (or the end of everything). */
			if (a.failed || c->rd_eof || c->wr_shut)
				break;
			lc_conn_shutdown(c, sk_deadline_in(2000));
			show(&a, "sent EOF: our side is closed; waiting for the "
			    "peer (~. quits)", 1);
			continue;
		}
		len = strlen(line);
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len >= 2 && line[0] == '~' && line[1] != '~') {
			if (len == 2 && line[1] == '.')
				break;
			if (len == 2 && line[1] == '?') {
				show(&a, escapes_help, 0);
			} else if (len == 9 && strncmp(line, "~starttls", 9) == 0) {
				if (lc_start_tls(c, o) == 0)
					show(&a, "TLS is on", 1);
				else
					show(&a, "STARTTLS failed (see above)", 1);
			} else {
				snprintf(msg, sizeof(msg), "unknown escape %.*s; ~? "
				    "lists them", (int)len, line);
				show(&a, msg, 1);
			}
			continue;
		}
		if (len > 0)
			history(h, &he, H_ENTER, line);
		if (c->wr_shut) {
			show(&a, "our side is closed: only ~ escapes work now", 1);
			continue;
		}
		if (line[0] == '~')	/* "~~text" sends "~text" */
			line++, len--;
		if (lc_conn_write_line(c, line, len, eol,
		    sk_deadline_in(10000)) == -1) {
			snprintf(msg, sizeof(msg), "send: %s", strerror(errno));
			show(&a, msg, 1);
			a.failed = 1;
		}
	}
	if (have_hist)
		history(h, &he, H_SAVE, hpath);
	el_end(a.el);
	history_end(h);
	return a.failed ? LC_EXIT_NET : LC_EXIT_OK;
}
