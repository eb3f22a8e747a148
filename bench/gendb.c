/*
 * gendb N [SEED] — write N realistic whoisd.db(5) records to stdout, in the
 * style of the source text's UWO directory: fictional people, unique
 * handles, e-mail addresses under example.org and unique index keys, so a
 * generated file is the worst case for the loader's word index.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const last[] = {
	"Abbott", "Acheson", "Adair", "Ainsley", "Albright", "Alder", "Ambrose",
	"Archer", "Ashford", "Atwood", "Bain", "Baird", "Barclay", "Barlow",
	"Beckett", "Bellamy", "Benning", "Birch", "Blackwood", "Boswell",
	"Brannigan", "Brightwater", "Calder", "Carrow", "Chalmers", "Clement",
	"Colby", "Corwin", "Crane", "Dalby", "Danforth", "Delacroix", "Denholm",
	"Dorsey", "Drummond", "Ellery", "Elsworth", "Everly", "Fairbanks",
	"Falconer", "Fenwick", "Finlay", "Forsythe", "Galloway", "Garrick",
	"Gilchrist", "Glenister", "Halloran", "Hartwell", "Hawthorne",
	"Holbrook", "Ingram", "Jarvis", "Keating", "Kendrick", "Kinsella",
	"Lachance", "Langford", "Larkin", "Lockhart", "Lowell", "MacAllister",
	"Marchbank", "Merriweather", "Morrow", "Nakamura", "Northcott", "Oakes",
	"Okafor", "Ormsby", "Pemberton", "Petrakis", "Quillan", "Radcliffe",
	"Ravensworth", "Redfern", "Rowntree", "Sandoval", "Selwyn", "Shackley",
	"Sinclair", "Stanhope", "Talbot", "Thackeray", "Tremblay", "Underhill",
	"Valliere", "Vasquez", "Wainwright", "Whitcombe", "Winslow", "Yardley",
	"Zelinski",
};
static const char *const first[] = {
	"Ada", "Alan", "Alice", "Amir", "Anika", "Arthur", "Beatrice", "Bruno",
	"Carla", "Chen", "Dara", "David", "Edith", "Emil", "Farah", "Felix",
	"Grace", "Gustav", "Hana", "Hugo", "Ines", "Ivan", "Jonas", "Julia",
	"Kai", "Karin", "Lars", "Leila", "Marco", "Maya", "Nadia", "Noel",
	"Olga", "Oscar", "Paula", "Pierre", "Quinn", "Rosa", "Rui", "Sana",
	"Simon", "Tara", "Tomas", "Uma", "Victor", "Wanda", "Xavier", "Yuki",
	"Zara", "Reg",
};
static const char *const dept[] = {
	"Info Tech Svcs", "Computer Science", "Physics & Astronomy",
	"Applied Mathematics", "Chemistry", "Library Services", "Registrar",
	"Geography", "History", "Music", "Philosophy", "Economics",
	"Civil Engineering", "Electrical Engineering", "Nursing", "Law",
	"Physical Plant", "Student Awards", "Biology", "Statistics",
};
static const char *const bldg[] = {
	"NSC", "MC", "UC", "SSC", "TH", "WSC", "AH", "CB", "PAB", "SEB",
};

#define N(a) (sizeof(a) / sizeof(a[0]))

/* xorshift64*: fast, and the same file for the same seed. */
static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void
lower(char *d, const char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < max; i++)
		d[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	d[i] = '\0';
}

int
main(int argc, char **argv)
{
	static char obuf[1 << 20];
	unsigned long long n, i;
	uint64_t s;
	char *end, h[32], l[16];

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: gendb N [SEED]\n");
		return 2;
	}
	n = strtoull(argv[1], &end, 10);
	if (*argv[1] == '\0' || *end != '\0' || n > 100000000ull) {
		fprintf(stderr, "gendb: bad record count: %s\n", argv[1]);
		return 2;
	}
	s = argc == 3 ? strtoull(argv[2], NULL, 10) | 1 : 0x9e3779b97f4a7c15ull;
	setvbuf(stdout, obuf, _IOFBF, sizeof(obuf));
	printf("# whoisd.db(5) test directory: %llu generated records\n\n", n);
	for (i = 0; i < n; i++) {
		uint64_t r = rnd(&s), q = rnd(&s);
		const char *ln = last[r % N(last)], *fn = first[(r >> 8) % N(first)];

		lower(l, ln, 8);
		/* The record number in hex keeps handles unique. */
		snprintf(h, sizeof(h), "%c%s%llx", fn[0] | 0x20, l, i);
		printf("Full Name: %s, %s", ln, fn);
		if ((r >> 16) % 4 == 0)
			printf(" %c.", 'A' + (int)((r >> 20) % 26));
		printf("\nDepartment: %s\nRoom: %s %llu\n"
		    "Phone: 679-2111x(%04llu)\nIndex Key: %llu\n"
		    "Email: %s@example.org\nHandle: %s\n",
		    dept[(r >> 24) % N(dept)], bldg[(r >> 32) % N(bldg)],
		    (unsigned long long)(q % 400 + 10),
		    (unsigned long long)((q >> 16) % 10000),
		    /* 1000003 is prime: i -> key is one-to-one below it. */
		    100000 + (i * 7919) % 1000003, h, h);
		if ((q >> 32) % 3 == 0)
			printf("Machine Address: %s.cs.example.org\n", h);
		else
			printf("Machine Address:\n");
		printf("Directory Addresses:\n\n");
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
