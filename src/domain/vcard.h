/*
 * vcard.h — people as vCard 4.0 (RFC 6350), for a crew list an address book
 * can import.
 *
 * One card per person: BEGIN, VERSION:4.0, PRODID, KIND:individual, UID
 * (the person's id as text), FN, then only the properties the caller gives
 * (NULL or "" leaves a property out, so a card carries exactly what the
 * exporter's role may read): ORG (production;department), TITLE (job),
 * ROLE (a cast member's character), TEL;TYPE=work / home as tel: URIs,
 * EMAIL;TYPE=work / home, ADR;TYPE=home (the address as its street
 * component), BDAY (YYYYMMDD), END. Text values escape backslash, comma,
 * semicolon and newline; lines end CRLF and fold at 75 octets without
 * splitting a UTF-8 character.
 */
#ifndef SLATE_DOMAIN_VCARD_H
#define SLATE_DOMAIN_VCARD_H

#include <stdio.h>

struct vcard {
	const char *uid, *name;
	const char *org, *department, *title, *role;
	const char *work_phone, *work_email, *personal_phone, *personal_email;
	const char *home_address;
	const char *birthday; /* YYYY-MM-DD */
};

void vcard_write(FILE *f, const struct vcard *v);

#endif
