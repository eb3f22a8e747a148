/*
 * Port names and the default port lists: services(5) read once into a
 * table (getservbyport(3) re-reads the file on every call, and a full
 * scan names 65535 ports), nmap's top-100 ranking for -F.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "portprobe/portprobe.h"

static char *names[2][65536];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
load(void)
{
	struct servent *s;
	unsigned port;
	int proto;

	setservent(1);
	while ((s = getservent()) != NULL) {
		port = ntohs((uint16_t)s->s_port);
		if (strcmp(s->s_proto, "tcp") == 0)
			proto = SK_PROTO_TCP;
		else if (strcmp(s->s_proto, "udp") == 0)
			proto = SK_PROTO_UDP;
		else
			continue;
		/* The first entry for a port is its name; aliases are not. */
		if (names[proto][port] == NULL)
			names[proto][port] = strdup(s->s_name);
	}
	endservent();
}

const char *
pp_service(int proto, unsigned port)
{
	pthread_once(&once, load);
	if ((proto != SK_PROTO_TCP && proto != SK_PROTO_UDP) || port > 65535 ||
	    names[proto][port] == NULL)
		return "unknown";
	return names[proto][port];
}

static void
add(struct sk_portset *ps, int proto, unsigned port)
{
	if (!sk_portset_has(ps, proto, port)) {
		ps->bits[proto][port / 8] |= (uint8_t)(1u << (port % 8));
		ps->count[proto]++;
	}
}

void
pp_ports_named(struct sk_portset *ps, int proto)
{
	unsigned port;

	pthread_once(&once, load);
	for (port = 1; port <= 65535; port++)
		if (names[proto][port] != NULL)
			add(ps, proto, port);
}

void
pp_ports_top(struct sk_portset *ps, int proto)
{
	/* nmap-services' 100 most frequently open TCP ports, and its most
	 * frequent UDP ones. */
	static const uint16_t tcp[] = {
		7, 9, 13, 21, 22, 23, 25, 26, 37, 53, 79, 80, 81, 88, 106,
		110, 111, 113, 119, 135, 139, 143, 144, 179, 199, 389, 427,
		443, 444, 445, 465, 513, 514, 515, 543, 544, 548, 554, 587,
		631, 646, 873, 990, 993, 995, 1025, 1026, 1027, 1028, 1029,
		1110, 1433, 1720, 1723, 1755, 1900, 2000, 2001, 2049, 2121,
		2717, 3000, 3128, 3306, 3389, 3986, 4899, 5000, 5009, 5051,
		5060, 5101, 5190, 5357, 5432, 5631, 5666, 5800, 5900, 6000,
		6001, 6646, 7070, 8000, 8008, 8009, 8080, 8081, 8443, 8888,
		9100, 9999, 10000, 32768, 49152, 49153, 49154, 49155, 49156,
		49157
	};
	static const uint16_t udp[] = {
		7, 9, 17, 19, 49, 53, 67, 68, 69, 80, 88, 111, 120, 123, 135,
		136, 137, 138, 139, 158, 161, 162, 177, 427, 443, 445, 497,
		500, 514, 515, 518, 520, 593, 623, 626, 631, 996, 997, 998,
		999, 1022, 1023, 1025, 1026, 1027, 1028, 1029, 1030, 1433,
		1434, 1645, 1646, 1701, 1718, 1719, 1812, 1813, 1900, 2000,
		2048, 2049, 2222, 2223, 3283, 3456, 3703, 4444, 4500, 5000,
		5060, 5353, 5632, 9200, 10000, 17185, 20031, 30718, 31337,
		32768, 32769, 32771, 32815, 33281, 49152, 49153, 49154,
		49156, 49181, 49182, 49186, 49188, 49190, 49191,
		49192, 49193, 49194, 49200, 49201, 49211, 65024
	};
	const uint16_t *v = proto == SK_PROTO_UDP ? udp : tcp;
	size_t i, n = proto == SK_PROTO_UDP ? sizeof(udp) / sizeof(udp[0]) :
	    sizeof(tcp) / sizeof(tcp[0]);

	for (i = 0; i < n; i++)
		add(ps, proto, v[i]);
}
