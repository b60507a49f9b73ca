/*
 * vcard.h — people as vCard 4.0 (RFC 6350), for a crew list an address book
 * can import.
 *
 * One card per person: BEGIN, VERSION:4.0, PRODID, KIND:individual, UID
 * (the person's id as text), FN, N (the name split: the last word the
 * family name, the words before it the given names), then only the
 * properties the caller gives (NULL or "" leaves a property out, so a card
 * carries exactly what the exporter's role may read): ORG
 * (production;department), TITLE (job), ROLE (a cast member's character),
 * TEL;TYPE=work / home — an international number (+ or 00) as a tel: URI in
 * E.164 (`+44 (0)20 7946 0958` → `tel:+442079460958`, the bracketed trunk
 * zero dropped) with the text as typed in the X-DISPLAY parameter, any
 * other number (national, or with an extension) as VALUE=text, as typed;
 * EMAIL;TYPE=work / home, ADR;TYPE=home (the address as its street
 * component), BDAY (YYYYMMDD), END. Text values escape backslash, comma,
 * semicolon and newline; lines end CRLF and fold at 75 octets without
 * splitting a UTF-8 character.
 */
#ifndef SLATE_DOMAIN_VCARD_H
#define SLATE_DOMAIN_VCARD_H

#include <stddef.h>
#include <stdio.h>

struct vcard {
	const char *uid, *name;
	const char *org, *department, *title, *role;
	const char *work_phone, *work_email, *personal_phone, *personal_email;
	const char *home_address;
	const char *birthday; /* YYYY-MM-DD */
};

void vcard_write(FILE *f, const struct vcard *v);

#define VCARD_E164_LEN 17 /* '+', at most 15 digits, NUL */
/*
 * A phone number as typed, in E.164 ("+442079460958" into out, cap at least
 * VCARD_E164_LEN): 0 when it is international (a leading + or 00) and holds
 * only digits, spaces, - . / and bracketed digits, a bracketed lone 0 after
 * the country code being the trunk prefix and dropped; else -1 (national
 * numbers, extensions, letters, too short or too long).
 */
int vcard_tel_e164(const char *text, char *out, size_t cap);

#endif
