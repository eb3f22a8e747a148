/*
 * Bounded line reader and deadline-bound writer (sockkit/lineio.h).
 *
 * Unread bytes are buf[start..end).  A line is searched for LF, CR and
 * NUL in one vector pass; the common case (an LF line already buffered)
 * takes a short path compiled for the best vector unit the CPU has.
 * scanned remembers how far a partial line is known to hold no line end,
 * so a line arriving in many pieces is not searched again from its start.
 * The buffer is compacted only when a read would otherwise be small.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif
#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_AVX2_PATH 1
#endif

#include "sockkit/deadline.h"
#include "sockkit/err.h"
#include "sockkit/lineio.h"

enum { FILL_EOF = 0, FILL_ERROR = -1, FILL_TIMEOUT = -2 };

static inline int
is_special(char c)
{
	return c == '\n' || c == '\r' || c == '\0';
}

/*
 * Position of the first LF, CR or NUL in p[i..n), or n.  The three bytes
 * are found in one pass, so a line is scanned once whatever it holds.
 */
static inline __attribute__((always_inline)) size_t
scan_sse2(const char *p, size_t i, size_t n)
{
#ifdef __SSE2__
	const __m128i lf = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
	const __m128i zero = _mm_setzero_si128();

	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		unsigned mask = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(v, lf), _mm_cmpeq_epi8(v, cr)),
		    _mm_cmpeq_epi8(v, zero)));

		if (mask != 0)
			return i + (size_t)__builtin_ctz(mask);
	}
#endif
	for (; i < n; i++)
		if (is_special(p[i]))
			break;
	return i;
}

#ifdef HAVE_AVX2_PATH
/* The same, 32 bytes at a time, for CPUs with AVX2. */
__attribute__((target("avx2"))) static inline __attribute__((always_inline))
size_t
scan_avx2(const char *p, size_t i, size_t n)
{
	const __m256i lf = _mm256_set1_epi8('\n'), cr = _mm256_set1_epi8('\r');
	const __m256i zero = _mm256_setzero_si256();

	for (; i + 32 <= n; i += 32) {
		__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		unsigned mask = (unsigned)_mm256_movemask_epi8(_mm256_or_si256(
		    _mm256_or_si256(_mm256_cmpeq_epi8(v, lf),
		    _mm256_cmpeq_epi8(v, cr)), _mm256_cmpeq_epi8(v, zero)));

		if (mask != 0)
			return i + (size_t)__builtin_ctz(mask);
	}
	return scan_sse2(p, i, n);
}
#endif

/* Position of the first LF or CR in p[i..n), or n. */
static size_t
scan_eol(const char *p, size_t i, size_t n)
{
	while ((i = scan_sse2(p, i, n)) < n && p[i] == '\0')
		i++;
	return i;
}

/* Bytes from start that may still belong to the current line. */
static inline size_t
line_limit(const struct sk_line_reader *r)
{
	size_t avail = r->end - r->start;

	return avail < r->maxline + 1 ? avail : r->maxline + 1;
}

/*
 * The common case, a fresh LF-terminated line already buffered, in one
 * flavour per vector unit.  Returns 1 with *out filled, or 0 after noting
 * how far the line is known to be clean (scanned).
 */
static inline __attribute__((always_inline)) int
fast_line_with(struct sk_line_reader *r, struct sk_line *out,
    size_t (*scan)(const char *, size_t, size_t))
{
	const char *p = r->buf + r->start;
	size_t lim = line_limit(r), i;

	i = scan(p, 0, lim);
	if (i < lim && p[i] == '\n') {
		out->data = p;
		out->len = i;
		out->eol = SK_EOL_LF;
		out->has_nul = 0;
		r->start += i + 1;
		return 1;
	}
	r->scanned = i;
	return 0;
}

static __attribute__((noinline)) int
fast_line_sse2(struct sk_line_reader *r, struct sk_line *out)
{
	return fast_line_with(r, out, scan_sse2);
}

#ifdef HAVE_AVX2_PATH
__attribute__((target("avx2"), noinline)) static int
fast_line_avx2(struct sk_line_reader *r, struct sk_line *out)
{
	return fast_line_with(r, out, scan_avx2);
}

/* __builtin_cpu_supports is one load of data libgcc sets up at start. */
#define fast_line(r, out) (__builtin_cpu_supports("avx2") ? \
	fast_line_avx2(r, out) : fast_line_sse2(r, out))
#else
#define fast_line(r, out) fast_line_sse2(r, out)
#endif

int
sk_line_init(struct sk_line_reader *r, int fd, char *buf, size_t bufsize,
    size_t maxline, struct sk_err *e)
{
	if (buf == NULL || maxline == 0 || bufsize <= maxline)
		return sk_err_set(e, EINVAL,
		    "line reader: buffer of %zu bytes for lines of %zu bytes",
		    bufsize, maxline);
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->buf = buf;
	r->cap = bufsize;
	r->maxline = maxline;
	r->is_sock = -1;
	return 0;
}

/*
 * Read once into buf[end..cap).  Sockets get a non-blocking recv first
 * and poll only when it would block: that saves a poll(2) per read while
 * data streams in.  Other fds are polled first so a blocking pipe or tty
 * cannot outlive the deadline.
 */
static ssize_t
fill(struct sk_line_reader *r, int64_t deadline, struct sk_err *e)
{
	char *p = r->buf + r->end;
	size_t room = r->cap - r->end;
	ssize_t n;
	int w;

	for (;;) {
		if (r->is_sock != 0) {
			n = recv(r->fd, p, room, MSG_DONTWAIT);
			if (n >= 0) {
				r->is_sock = 1;
				return n;
			}
			if (errno == ENOTSOCK) {
				r->is_sock = 0;
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return sk_err_sys(e, "read");
			r->is_sock = 1;
		}
		w = sk_wait(r->fd, POLLIN, deadline, e);
		if (w == 0)
			return FILL_TIMEOUT;
		if (w < 0)
			return FILL_ERROR;
		if (r->is_sock == 1)
			continue;
		n = read(r->fd, p, room);
		if (n >= 0)
			return n;
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return sk_err_sys(e, "read");
	}
}

static void
set_line(struct sk_line *out, const char *data, size_t len, enum sk_eol eol,
    int has_nul)
{
	out->data = data;
	out->len = len;
	out->eol = eol;
	out->has_nul = has_nul;
}

/*
 * Consume the terminator at buf[at] (CR or LF).  A CR that is the last
 * byte buffered ends the line now; the LF that may follow is dropped by
 * the next call (skip_lf).
 */
static enum sk_eol
eat_eol(struct sk_line_reader *r, size_t at)
{
	if (r->buf[at] == '\n') {
		r->start = at + 1;
		return SK_EOL_LF;
	}
	if (at + 1 < r->end) {
		if (r->buf[at + 1] == '\n') {
			r->start = at + 2;
			return SK_EOL_CRLF;
		}
	} else
		r->skip_lf = 1;
	r->start = at + 1;
	return SK_EOL_CR;
}

/*
 * Everything but the common case: CR line ends, NULs, long lines, lines
 * that span reads, and the reads themselves.  seen is how much of the
 * line earlier calls scanned; those bytes may hold a NUL not recorded.
 */
static __attribute__((noinline)) enum sk_line_status
read_slow(struct sk_line_reader *r, struct sk_line *out, size_t seen,
    int64_t deadline, struct sk_err *e)
{
	size_t avail, lim, i;
	int nul = 0;
	ssize_t n;

	set_line(out, NULL, 0, SK_EOL_NONE, 0);
	for (;;) {
		if (r->skip_lf && r->start < r->end) {
			if (r->buf[r->start] == '\n')
				r->start++;
			r->skip_lf = 0;
		}
		avail = r->end - r->start;
		if (r->discarding) {
			i = scan_eol(r->buf + r->start, 0, avail);
			if (i < avail) {
				eat_eol(r, r->start + i);
				r->discarding = 0;
				continue;
			}
			r->start = r->end;
			avail = 0;
		} else {
			lim = line_limit(r);
			while (r->scanned < lim) {
				i = scan_sse2(r->buf + r->start, r->scanned, lim);
				if (i == lim) {
					r->scanned = lim;
					break;
				}
				if (r->buf[r->start + i] == '\0') {
					nul = 1;
					r->scanned = i + 1;
					continue;
				}
				if (seen > 0 && !nul)
					nul = memchr(r->buf + r->start, '\0', seen) != NULL;
				r->scanned = 0;
				set_line(out, r->buf + r->start, i, SK_EOL_NONE, nul);
				out->eol = eat_eol(r, r->start + i);
				return SK_LINE_OK;
			}
			if (r->scanned == r->maxline + 1) {
				set_line(out, r->buf + r->start, r->maxline,
				    SK_EOL_NONE, memchr(r->buf + r->start, '\0',
				    r->maxline) != NULL);
				r->start += r->maxline;
				r->scanned = 0;
				r->discarding = 1;
				return SK_LINE_TOO_LONG;
			}
		}
		if (r->eof) {
			if (seen > 0 && !nul)
				nul = memchr(r->buf + r->start, '\0', seen) != NULL;
			set_line(out, r->buf + r->start, avail, SK_EOL_NONE, nul);
			r->start = r->end;
			r->scanned = 0;
			return SK_LINE_EOF;
		}
		if (avail == 0)
			r->start = r->end = 0;
		else if (r->cap - r->end < r->cap / 2) {
			memmove(r->buf, r->buf + r->start, avail);
			r->start = 0;
			r->end = avail;
		}
		n = fill(r, deadline, e);
		if (n == FILL_TIMEOUT)
			return SK_LINE_TIMEOUT;
		if (n == FILL_ERROR)
			return SK_LINE_ERROR;
		if (n == FILL_EOF)
			r->eof = 1;
		r->end += (size_t)n;
	}
}

enum sk_line_status
sk_line_read(struct sk_line_reader *r, struct sk_line *out, int64_t deadline,
    struct sk_err *e)
{
	size_t seen = r->scanned;

	if ((r->skip_lf | r->discarding) == 0 && seen == 0 && fast_line(r, out))
		return SK_LINE_OK;
	return read_slow(r, out, seen, deadline, e);
}

size_t
sk_line_pending(const struct sk_line_reader *r)
{
	size_t n = r->end - r->start;

	/* The LF of a CRLF split across reads belongs to the last line. */
	if (r->skip_lf && n > 0 && r->buf[r->start] == '\n')
		n--;
	return n;
}

const char *
sk_line_status_str(enum sk_line_status s)
{
	switch (s) {
	case SK_LINE_OK:
		return "ok";
	case SK_LINE_TOO_LONG:
		return "line too long";
	case SK_LINE_EOF:
		return "eof";
	case SK_LINE_TIMEOUT:
		return "timed out";
	case SK_LINE_ERROR:
		return "error";
	}
	return "unknown status";
}

/* --- writing ----------------------------------------------------------- */

/* One write(2) to a non-socket fd.  A blocking fd is written only after
 * POLLOUT and at most PIPE_BUF bytes at a time, which a pipe reporting
 * POLLOUT takes without blocking, so the deadline holds. */
static ssize_t
write_nonsock(int fd, const char *p, size_t len, int blocking,
    int64_t deadline)
{
	if (blocking && deadline != SK_NEVER && len > PIPE_BUF)
		len = PIPE_BUF;
	return write(fd, p, len);
}

int
sk_write_all(int fd, const void *buf, size_t len, int64_t deadline,
    size_t *done, struct sk_err *e)
{
	const char *p = buf;
	size_t off = 0;
	sigset_t pipeset, oldmask, pending;
	int is_sock = 1, masked = 0, was_pending = 0, blocking = 0;
	int flags, w, saved, ret = -1;
	ssize_t n;

	while (off < len) {
		if (is_sock) {
			n = send(fd, p + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno == ENOTSOCK) {
				is_sock = 0;
				if ((flags = fcntl(fd, F_GETFL)) < 0) {
					sk_err_sys(e, "fcntl F_GETFL fd %d", fd);
					goto end;
				}
				blocking = !(flags & O_NONBLOCK);
				/* Only a SIGPIPE raised by our own write may be
				 * swallowed, not one already pending. */
				sigemptyset(&pipeset);
				sigaddset(&pipeset, SIGPIPE);
				pthread_sigmask(SIG_BLOCK, &pipeset, &oldmask);
				masked = 1;
				sigpending(&pending);
				was_pending = sigismember(&pending, SIGPIPE);
				if (blocking) {
					w = sk_wait(fd, POLLOUT, deadline, e);
					if (w == 0)
						goto timeout;
					if (w < 0)
						goto end;
				}
				continue;
			}
		} else
			n = write_nonsock(fd, p + off, len - off, blocking,
			    deadline);
		if (n > 0) {
			off += (size_t)n;
			if (off == len || !blocking || is_sock)
				continue;
		} else if (n == 0) {
			sk_err_set(e, EIO, "write: no progress after %zu bytes",
			    off);
			goto end;
		} else if (errno == EINTR)
			continue;
		else if (errno != EAGAIN && errno != EWOULDBLOCK) {
			sk_err_sys(e, "write");
			goto end;
		}
		w = sk_wait(fd, POLLOUT, deadline, e);
		if (w == 0)
			goto timeout;
		if (w < 0)
			goto end;
	}
	ret = 0;
	goto end;
timeout:
	sk_err_set(e, ETIMEDOUT, "write: timed out after %zu bytes", off);
	errno = ETIMEDOUT;
end:
	saved = errno;
	if (masked) {
		if (!was_pending) {
			struct timespec zero = { 0, 0 };

			sigpending(&pending);
			if (sigismember(&pending, SIGPIPE))
				sigtimedwait(&pipeset, NULL, &zero);
		}
		pthread_sigmask(SIG_SETMASK, &oldmask, NULL);
	}
	if (done != NULL)
		*done = off;
	errno = saved;
	return ret;
}
