/*
 * lssock --watch, the screen: a top-like ncurses table refreshed every
 * interval, keys to sort, filter, pause and quit.  The library's loop
 * owns the waiting: the terminal is one watched fd, the refresh a
 * repeating timer, and SIGINT, SIGTERM, SIGHUP and SIGWINCH arrive as
 * loop events (signalfd), so no handler ever runs inside curses and the
 * terminal is restored on every way out.  Each turn is one
 * sk_loop_run_once(); the data side is watch_data.c.
 *
 * Owners come from a /proc walk on a thread of its own, at most every
 * OWNER_MS: at 100k sockets the walk alone costs more CPU than a
 * refresh may take (200 ms), so the table never waits for it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curses.h>

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/loop.h"
#include "sockkit/procmap.h"
#include "sockkit/sockdiag.h"
#include "lssock/lssock.h"
#include "lssock/watch.h"

#define FILTER_TEXT_MAX 1024
#define OWNER_MS 5000		/* least time between two owner walks */

static const struct wcol {
	const char *head;
	int width;		/* 0: shares what is left */
	int right;
} wcols[LS_W_NCOLS] = {
	[LS_W_NETID] = { "Netid", 5, 0 },
	[LS_W_STATE] = { "State", 10, 0 },
	[LS_W_RECVQ] = { "Recv-Q", 6, 1 },
	[LS_W_SENDQ] = { "Send-Q", 6, 1 },
	[LS_W_LOCAL] = { "Local Address:Port", 0, 0 },
	[LS_W_PEER] = { "Peer Address:Port", 0, 0 },
	[LS_W_TX] = { "Send/s", 7, 1 },
	[LS_W_RX] = { "Recv/s", 7, 1 },
	[LS_W_RTT] = { "RTT ms", 7, 1 },
	[LS_W_RETR] = { "Retr", 5, 1 },
	[LS_W_CWND] = { "Cwnd", 5, 1 },
	[LS_W_PROC] = { "Process", 0, 0 },
};

struct watch {
	struct ls_opts o;		/* a copy: / changes filter and states */
	const struct ls_opts *orig;
	struct ls_filter *mine;		/* a filter typed at /, ours to free */
	char ftext[FILTER_TEXT_MAX];	/* the filter in force, as typed */
	struct ls_wdata *data;
	struct ls_names *names;
	struct sk_loop *loop;
	SCREEN *scr;
	int sort_col, reverse, paused, quit, top;
	int editing;			/* the / prompt is open */
	char edit[FILTER_TEXT_MAX];
	size_t editlen;
	char status[256];		/* a message for the status line */
	unsigned long refreshes;
	double cpu_ms;			/* CPU of the last refresh */
	int64_t interval;
	/* The owner walk: done is set, and the loop woken, when map is
	 * ready for the loop's thread to take. */
	pthread_t owner_tid;
	int owner_running;
	atomic_int owner_done;
	struct sk_procmap *owner_map;
	struct sk_err owner_err;
	int64_t owner_last;		/* when the last walk ended */
};

int
ls_watch_interval(const char *s, int *ms)
{
	char *end;
	double v;

	if (s == NULL) {
		*ms = 1000;
		return 0;
	}
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !(v >= 0.1 && v <= 3600))
		return -1;
	*ms = (int)(v * 1000 + 0.5);
	return 0;
}

/* ---- drawing ------------------------------------------------------------------------- */

static double
cpu_now_ms(void)
{
	struct rusage ru;

	/* This thread's: the owner walk's thread is not the refresh. */
	if (getrusage(RUSAGE_THREAD, &ru) < 0)
		return 0;
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0 +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
}

/* "-", "950", "12.3K", "4.5M", "1.2G" */
static void
human(char *b, size_t len, double v)
{
	if (v < 0)
		snprintf(b, len, "-");
	else if (v < 1000)
		snprintf(b, len, "%.0f", v);
	else if (v < 1e6)
		snprintf(b, len, "%.1fK", v / 1e3);
	else if (v < 1e9)
		snprintf(b, len, "%.1fM", v / 1e6);
	else
		snprintf(b, len, "%.1fG", v / 1e9);
}

/* Widths for this terminal: fixed columns first, the rest shared by
 * the address and process columns; an address column keeps room for
 * "255.255.255.255:65535", and what does not fit is cut at the edge. */
static void
layout(int cols, int w[LS_W_NCOLS])
{
	int i, fixed = 0, left;

	for (i = 0; i < LS_W_NCOLS; i++) {
		w[i] = wcols[i].width;
		fixed += w[i] + 1;
	}
	left = cols - fixed;
	w[LS_W_LOCAL] = left * 2 / 5 > 21 ? left * 2 / 5 : 21;
	w[LS_W_PEER] = w[LS_W_LOCAL];
	w[LS_W_PROC] = left - 2 * w[LS_W_LOCAL] > 7 ?
	    left - 2 * w[LS_W_LOCAL] : 7;
}

/* One cell at column *x of line y, cut at the terminal's edge (curses
 * would wrap it onto the next line). */
static void
put(int y, int *x, const char *s, int width, int right)
{
	int n = (int)strlen(s), at;

	if (n > width)
		n = width;
	at = right ? *x + width - n : *x;
	*x += width + 1;
	if (at >= COLS)
		return;
	if (n > COLS - at)
		n = COLS - at;
	mvaddnstr(y, at, s, n);
}

static void
sock_of(const struct ls_wrow *r, struct sk_sock *s)
{
	s->proto = r->proto;
	s->family = r->family;
	s->type = r->type;
	s->v6only = r->v6only;
	memcpy(s->src, r->src, 16);
	memcpy(s->dst, r->dst, 16);
	s->sport = r->sport;
	s->dport = r->dport;
	snprintf(s->path, sizeof(s->path), "%s", r->path);
	s->inode = r->inode;
	s->peer_inode = r->peer_inode;
}

static void
draw_row(struct watch *w, int y, const struct ls_wrow *r, const int *wd)
{
	static struct sk_sock s;	/* big; one at a time */
	char buf[SK_HOSTLEN + SK_SOCK_PATHMAX + 64];
	const struct sk_owner *own;
	int x = 0, c;

	sock_of(r, &s);
	for (c = 0; c < LS_W_NCOLS; c++) {
		switch (c) {
		case LS_W_NETID:
			snprintf(buf, sizeof(buf), "%s", sk_sock_netid(&s));
			break;
		case LS_W_STATE:
			snprintf(buf, sizeof(buf), "%s",
			    sk_sock_state_str(r->state));
			break;
		case LS_W_RECVQ:
			snprintf(buf, sizeof(buf), "%u", r->rq);
			break;
		case LS_W_SENDQ:
			snprintf(buf, sizeof(buf), "%u", r->wq);
			break;
		case LS_W_LOCAL:
		case LS_W_PEER:
			ls_name_endpoint(w->names, &s, c == LS_W_PEER, buf,
			    sizeof(buf));
			break;
		case LS_W_TX:
			human(buf, sizeof(buf), r->tx);
			break;
		case LS_W_RX:
			human(buf, sizeof(buf), r->rx);
			break;
		case LS_W_RTT:
			if (r->has_info)
				snprintf(buf, sizeof(buf), "%.1f",
				    r->rtt_us / 1000.0);
			else
				snprintf(buf, sizeof(buf), "-");
			break;
		case LS_W_RETR:
		case LS_W_CWND:
			if (r->has_info)
				snprintf(buf, sizeof(buf), "%u",
				    c == LS_W_RETR ? r->retrans : r->cwnd);
			else
				snprintf(buf, sizeof(buf), "-");
			break;
		default:
			if ((own = ls_wdata_owner(w->data, r)) != NULL)
				snprintf(buf, sizeof(buf), "%s/%d", own->comm,
				    own->pid);
			else
				buf[0] = '\0';
			break;
		}
		put(y, &x, buf, wd[c], wcols[c].right);
	}
}

/* Sort what the screen shows (and a page more, for scrolling). */
static void
resort(struct watch *w)
{
	int page = LINES > 3 ? LINES - 3 : 1;

	ls_wdata_sort(w->data, w->sort_col, w->reverse,
	    (size_t)w->top + 2 * (size_t)page);
}

/* tcp_info for the rows about to be shown, unless the dump brought it;
 * a failed lookup is a status-line message, the table goes on. */
static void
fill(struct watch *w, size_t from, size_t to)
{
	struct sk_err e;

	sk_err_clear(&e);
	if (ls_wdata_fill(w->data, from, to, sk_now_ms(), sk_sockdiag_lookup,
	    &e) < 0)
		snprintf(w->status, sizeof(w->status), "tcp_info: %.200s",
		    e.msg);
}

static void
draw(struct watch *w)
{
	char line[512], t[64];
	int wd[LS_W_NCOLS], x = 0, c, y, rows;
	size_t n = ls_wdata_count(w->data), i;

	erase();
	layout(COLS, wd);
	rows = LINES - 3;		/* title, header, status */
	if (w->top > 0 && (size_t)w->top >= n)
		w->top = n > 0 ? (int)n - 1 : 0;
	if ((size_t)w->top + (size_t)rows > ls_wdata_sorted(w->data) &&
	    ls_wdata_sorted(w->data) < n)
		resort(w);	/* scrolled past the rows in order */
	fill(w, (size_t)w->top, (size_t)w->top + (size_t)(rows > 0 ? rows : 0));
	snprintf(t, sizeof(t), "%g", w->interval / 1000.0);
	snprintf(line, sizeof(line), "lssock --watch  every %ss  %zu socket%s"
	    "  sort: %s%s%s%.200s%s", t, n, n == 1 ? "" : "s",
	    wcols[w->sort_col].head, w->reverse ? " (reversed)" : "",
	    w->ftext[0] ? "  filter: " : "", w->ftext,
	    w->paused ? "  [paused]" : "");
	mvaddnstr(0, 0, line, COLS);
	attron(A_BOLD);
	for (c = 0; c < LS_W_NCOLS; c++) {
		if (c == w->sort_col)
			attron(A_REVERSE);
		put(1, &x, wcols[c].head, wd[c], wcols[c].right);
		if (c == w->sort_col)
			attroff(A_REVERSE);
	}
	attroff(A_BOLD);
	for (y = 0, i = (size_t)w->top; y < rows && i < n; y++, i++)
		draw_row(w, 2 + y, ls_wdata_row(w->data, i), wd);
	if (w->editing) {
		snprintf(line, sizeof(line), "filter: %.*s", (int)w->editlen,
		    w->edit);
		mvaddnstr(LINES - 1, 0, line, COLS);
		curs_set(1);
		move(LINES - 1, (int)strlen(line) < COLS ? (int)strlen(line) :
		    COLS - 1);
	} else {
		curs_set(0);
		if (w->status[0] != '\0')
			snprintf(line, sizeof(line), "%s", w->status);
		else
			snprintf(line, sizeof(line), "q quit  < > sort  r reverse"
			    "  / filter  space pause  refresh #%lu %.0f ms cpu",
			    w->refreshes, w->cpu_ms);
		attron(A_REVERSE);
		mvaddnstr(LINES - 1, 0, line, COLS);
		attroff(A_REVERSE);
	}
	refresh();
}

/* ---- owners, off the screen's thread ---------------------------------------------- */

static void *
owner_walk(void *arg)
{
	struct watch *w = arg;

	w->owner_map = sk_procmap_build(w->o.procroot, 0, &w->owner_err);
	atomic_store(&w->owner_done, 1);
	sk_loop_wake(w->loop);
	return NULL;
}

static void
owners_start(struct watch *w)
{
	if (w->owner_running || sk_now_ms() - w->owner_last < OWNER_MS)
		return;
	atomic_store(&w->owner_done, 0);
	w->owner_map = NULL;
	if (pthread_create(&w->owner_tid, NULL, owner_walk, w) == 0)
		w->owner_running = 1;
}

/* Take a finished walk's map (wait for it when wait is set). */
static void
owners_take(struct watch *w, int wait)
{
	if (!w->owner_running || (!wait && !atomic_load(&w->owner_done)))
		return;
	pthread_join(w->owner_tid, NULL);
	w->owner_running = 0;
	w->owner_last = sk_now_ms();
	if (w->owner_map == NULL) {
		snprintf(w->status, sizeof(w->status), "owners: %.200s",
		    w->owner_err.msg);
		return;
	}
	ls_wdata_set_owners(w->data, w->owner_map);
	w->owner_map = NULL;
	if (w->sort_col == LS_W_PROC)
		resort(w);
}

/* ---- refreshing ------------------------------------------------------------------------ */

static int
refresh_data(struct watch *w, struct sk_err *e)
{
	double t0 = cpu_now_ms();
	/* Every socket's tcp_info only when the sort needs it; otherwise
	 * draw() asks for the rows it shows.  --all-netns reads it all:
	 * a lookup would have to enter each row's namespace. */
	int full = ls_wdata_col_needs_info(w->sort_col) || w->o.all_netns;

	if (ls_wdata_refresh(w->data, &w->o, full, e) < 0)
		return -1;
	resort(w);
	w->refreshes++;
	w->cpu_ms = cpu_now_ms() - t0;
	return 0;
}

static void
fatal(struct watch *w, struct sk_err *e)
{
	(void)e;
	w->quit = -1;
	sk_loop_stop(w->loop);
}

struct ctx {
	struct watch *w;
	struct sk_err *e;
};

static int64_t
on_tick(struct sk_loop *l, struct sk_timer *t, void *arg)
{
	struct ctx *c = arg;
	double t0;

	if (c->w->paused)
		return c->w->interval;
	t0 = cpu_now_ms();
	if (refresh_data(c->w, c->e) < 0) {
		fatal(c->w, c->e);
		return -1;
	}
	draw(c->w);
	c->w->cpu_ms = cpu_now_ms() - t0;	/* with the drawing */
	owners_start(c->w);
	return c->w->interval;
}

/* ---- keys ------------------------------------------------------------------------------------ */

/* The typed filter replaces the one in force; a bad one is reported
 * on the status line and changes nothing. */
static void
apply_filter(struct watch *w, struct sk_err *e)
{
	char text[FILTER_TEXT_MAX], err[8192], *argv[256], *p, *nl;
	struct ls_filter *f = NULL;
	uint32_t states = 0;
	int argc = 0, have = 0;

	memcpy(text, w->edit, w->editlen);
	text[w->editlen] = '\0';
	for (p = strtok(text, " \t"); p != NULL && argc < 256;
	    p = strtok(NULL, " \t"))
		argv[argc++] = p;
	if (argc > 0 && ls_filter_parse(argc, argv, &f, &states, &have, err,
	    sizeof(err)) < 0) {
		if ((nl = strchr(err, '\n')) != NULL)
			*nl = '\0';
		snprintf(w->status, sizeof(w->status), "%.200s (filter unchanged)",
		    err);
		return;
	}
	ls_filter_free(w->mine);
	w->mine = f;
	w->o.filter = argc > 0 ? f : NULL;
	w->o.states = have ? states : w->orig->states;
	memcpy(w->ftext, w->edit, w->editlen);
	w->ftext[w->editlen] = '\0';
	w->status[0] = '\0';
	w->top = 0;
	if (refresh_data(w, e) < 0)
		fatal(w, e);
}

static void
edit_key(struct watch *w, int ch, struct sk_err *e)
{
	switch (ch) {
	case '\n':
	case '\r':
	case KEY_ENTER:
		w->editing = 0;
		apply_filter(w, e);
		break;
	case 27:	/* Esc */
		w->editing = 0;
		break;
	case KEY_BACKSPACE:
	case 127:
	case 8:
		if (w->editlen > 0)
			w->editlen--;
		break;
	case 21:	/* ^U */
		w->editlen = 0;
		break;
	default:
		if (ch >= 32 && ch < 127 && w->editlen < sizeof(w->edit) - 1)
			w->edit[w->editlen++] = (char)ch;
		break;
	}
}

static void
key(struct watch *w, int ch, struct sk_err *e)
{
	int page = LINES - 3 > 1 ? LINES - 3 : 1;

	w->status[0] = ch == KEY_RESIZE ? w->status[0] : '\0';
	switch (ch) {
	case 'q':
	case 'Q':
		w->quit = 1;
		sk_loop_stop(w->loop);
		return;
	case '<':
		w->sort_col = (w->sort_col + LS_W_NCOLS - 1) % LS_W_NCOLS;
		break;
	case '>':
		w->sort_col = (w->sort_col + 1) % LS_W_NCOLS;
		break;
	case 'r':
		w->reverse = !w->reverse;
		break;
	case ' ':
		w->paused = !w->paused;
		return;
	case '/':
		w->editing = 1;
		w->editlen = strlen(w->ftext);
		memcpy(w->edit, w->ftext, w->editlen);
		return;
	case KEY_DOWN:
		w->top++;
		return;
	case KEY_UP:
		w->top = w->top > 0 ? w->top - 1 : 0;
		return;
	case KEY_NPAGE:
		w->top += page;
		return;
	case KEY_PPAGE:
		w->top = w->top > page ? w->top - page : 0;
		return;
	case KEY_HOME:
		w->top = 0;
		return;
	default:
		return;
	}
	/* A column of tcp_info to sort by needs every socket's: a full
	 * refresh now rather than an order by what few rows have. */
	if (ls_wdata_col_needs_info(w->sort_col) && !ls_wdata_full(w->data) &&
	    !w->o.useproc) {
		if (refresh_data(w, e) < 0)
			fatal(w, e);
		return;
	}
	resort(w);
}

static void
on_input(struct sk_loop *l, int fd, int events, void *arg)
{
	struct ctx *c = arg;
	int ch;

	while (!c->w->quit && (ch = getch()) != ERR) {
		if (c->w->editing)
			edit_key(c->w, ch, c->e);
		else
			key(c->w, ch, c->e);
	}
	if (!c->w->quit)
		draw(c->w);
	if (events & SK_ERROR) {	/* the terminal went away */
		c->w->quit = 1;
		sk_loop_stop(l);
	}
}

static void
on_signal(struct sk_loop *l, int signo, void *arg)
{
	struct ctx *c = arg;
	struct winsize ws;

	if (signo == SIGWINCH) {
		if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 &&
		    ws.ws_row > 0 && ws.ws_col > 0)
			resizeterm(ws.ws_row, ws.ws_col);
		draw(c->w);
		return;
	}
	c->w->quit = 1;		/* INT, TERM, HUP: a clean way out */
	sk_loop_stop(l);
}

/* ---- setting up and tearing down ------------------------------------------------------ */

static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH };

int
ls_watch(const struct ls_opts *o, struct sk_err *e)
{
	struct watch *w;
	struct ctx c;
	const char *term = getenv("TERM");
	size_t i;
	int rc = -1;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))
		return sk_err_kset(e, SK_ERR_INPUT, ENOTTY, "--watch needs a "
		    "terminal on standard input and output");
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return sk_err_sys(e, "--watch");
	w->o = *o;
	w->orig = o;
	w->interval = o->watch_ms;
	w->sort_col = LS_W_RECVQ;
	for (i = 0; i < (size_t)o->filter_argc; i++) {
		size_t n = strlen(w->ftext);

		snprintf(w->ftext + n, sizeof(w->ftext) - n, "%s%s",
		    i ? " " : "", o->filter_argv[i]);
	}
	c.w = w;
	c.e = e;
	if ((w->data = ls_wdata_new()) == NULL ||
	    (w->names = ls_names_new(o->numeric, o->resolve)) == NULL) {
		sk_err_sys(e, "--watch");
		goto end;
	}
	if ((w->loop = sk_loop_new(4, e)) == NULL)
		goto end;
	/* Before curses starts, so it never installs its own handlers
	 * for them and no signal interrupts a half-drawn screen. */
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sk_loop_signal(w->loop, sigs[i], on_signal, &c, e) < 0)
			goto end;
	if (sk_loop_watch(w->loop, STDIN_FILENO, SK_READ, on_input, &c, e) < 0)
		goto end;
	/* The first table and owners before the screen is taken: an error
	 * (netns, netlink, /proc) is then an ordinary message on an
	 * ordinary terminal. */
	if ((w->owner_map = sk_procmap_build(o->procroot, 0, e)) == NULL)
		goto end;
	ls_wdata_set_owners(w->data, w->owner_map);
	w->owner_map = NULL;
	w->owner_last = sk_now_ms();
	if (refresh_data(w, e) < 0)
		goto end;
	if ((w->scr = newterm(NULL, stdout, stdin)) == NULL) {
		sk_err_kset(e, SK_ERR_INPUT, ENOTTY, "--watch: cannot drive "
		    "terminal type \"%s\"", term != NULL ? term : "");
		goto end;
	}
	set_term(w->scr);
	cbreak();
	noecho();
	nodelay(stdscr, TRUE);
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	draw(w);
	if (sk_loop_timer(w->loop, w->interval, on_tick, &c, e) == NULL)
		goto end;
	while (!w->quit) {
		if (sk_loop_run_once(w->loop, SK_NEVER, e) < 0)
			goto end;
		if (w->owner_running && atomic_load(&w->owner_done)) {
			owners_take(w, 0);
			draw(w);
		}
	}
	rc = w->quit < 0 ? -1 : 0;
end:
	owners_take(w, 1);
	if (w->scr != NULL) {
		endwin();
		delscreen(w->scr);
	}
	sk_loop_free(w->loop);	/* unblocks the signals, drops pending ones */
	ls_wdata_free(w->data);
	ls_names_free(w->names);
	ls_filter_free(w->mine);
	free(w);
	return rc;
}
