/*
 * Options that make no sense together are refused, never ignored
 * (STYLE.md): each rule below names the option and says why in one line.
 */
#include <stddef.h>

#include "linechat/linechat.h"

const char *
lc_opts_conflict(const struct lc_opts *o, int interactive)
{
	int scripted = o->nlines > 0 || o->script_file != NULL ||
	    o->script_expr != NULL || o->replay_path != NULL;

	if (o->keep && !o->listen)
		return "-k: only with -l (keep listening after a connection)";
	if (o->keep && o->udp)
		return "-k: not with -u (a UDP listener serves its first "
		    "sender only)";
	if (o->udp && o->unix_path != NULL)
		return "-u: not with -U (UNIX datagram sockets are not "
		    "supported)";
	if (o->families > 1)
		return "-4 and -6 exclude each other";
	if (o->families > 0 && o->unix_path != NULL)
		return "-4/-6: not with -U (a UNIX socket has no address "
		    "family)";
	if (o->src != NULL && (o->listen || o->unix_path != NULL))
		return "-s: not with -l or -U (the address to listen on is "
		    "an argument)";
	if (o->wait_set && o->listen)
		return "-w: not with -l (it bounds connecting)";
	if (o->idle_set && o->nlines == 0 && !o->udp)
		return "-i: only with -c or -u (the idle time that ends a "
		    "reply)";
	if (o->quit_secs >= 0 && (scripted || interactive))
		return "-q: pipe mode only (not with -c, -e, -f or --replay, "
		    "nor on a terminal)";
	if (o->raw && o->lf)
		return "--lf and --raw exclude each other";
	if (o->fast && o->replay_path == NULL)
		return "--fast: only with --replay";
	if (o->nignore > 0 && o->replay_path == NULL)
		return "--ignore: only with --replay";
	if (o->tls && o->starttls != NULL)
		return "--tls and --starttls exclude each other";
	if ((o->tls || o->starttls != NULL) && (o->udp || o->listen ||
	    o->unix_path != NULL))
		return "--tls/--starttls: TCP client connections only";
	/* Interactive sessions may still switch with ~starttls. */
	if (o->insecure && !o->tls && o->starttls == NULL && !interactive)
		return "--insecure: only with --tls or --starttls";
	if (o->ca_file != NULL && !o->tls && o->starttls == NULL &&
	    !interactive)
		return "--ca: only with --tls or --starttls";
	return NULL;
}
