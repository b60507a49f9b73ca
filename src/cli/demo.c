/*
 * demo.c — the demo production `slate init` loads in development: a living
 * shoot a newcomer can click through. About 80 people across the standard
 * departments (12 of them cast), 6 locations on the Northumberland coast,
 * 25 shoot days and 120 scenes, with calls for everyone on every day they
 * work, and the call sheets of days 1 and 2 published by the demo admin.
 *
 * Everything is made up and generated from a fixed seed, so two data
 * directories hold the same production (ids apart). Every personal field
 * is filled, so the demo also exercises the encryption at rest: none of
 * these strings may appear in the database file (tests/api/encryption).
 * Runs inside the caller's transaction.
 */
#include <stdio.h>
#include <string.h>

#include "api/view.h"
#include "cli/demo.h"
#include "domain/carbon_resolve.h"
#include "util/nitems.h"

static const char *const first_names[] = {
    "Ada", "Bram", "Cleo", "Dev",  "Edie", "Farid", "Greta", "Hugo", "Ines",    "Jonah",
    "Kit", "Lena", "Milo", "Nia",  "Oren", "Priya", "Quinn", "Rhys", "Saoirse", "Tomas",
    "Uma", "Vik",  "Wren", "Xavi", "Yara", "Zeb",   "Ansel", "Bea",  "Cato",    "Della",
};
static const char *const last_names[] = {
    "Achterberg", "Blackwood", "Castellanos", "Dunmore",    "Ellery",    "Fairweather",
    "Gallagher",  "Hartigan",  "Iwasaki",     "Jessop",     "Kowalczyk", "Lindqvist",
    "Marchetti",  "Nakashima", "Okonkwo",     "Penhaligon", "Quarrie",   "Rosenthal",
    "Szabo",      "Thorne",    "Underhill",   "Valdivia",   "Whitlock",  "Yardley",
};
static const char *const streets[] = {
    "Larkspur Close", "Quarry Hill",   "Tidewater Lane", "Mill Race Road",
    "Heron Walk",     "Old Rope Yard", "Saltings Way",   "Bellfounder Street",
};
static const char *const diets[] = {"",      "vegetarian", "vegan", "no nuts", "gluten free",
                                    "halal", "no dairy"};

/* Departments of the demo crew: name, head count, the head's job, the others' job. */
static const struct crew {
	const char *department, *head_job, *job;
	int count;
} crew[] = {
    {"Production", "Line producer", "Production coordinator", 6},
    {"Direction/AD", "1st AD", "2nd AD", 5},
    {"Camera", "Director of photography", "Camera operator", 8},
    {"Grip", "Key grip", "Grip", 6},
    {"Electric", "Gaffer", "Electrician", 7},
    {"Sound", "Production sound mixer", "Boom operator", 3},
    {"Art", "Production designer", "Set dresser", 7},
    {"Costume", "Costume designer", "Costume assistant", 5},
    {"Hair & Make-up", "Make-up designer", "Make-up artist", 5},
    {"Locations", "Location manager", "Location assistant", 4},
    {"Transport", "Transport captain", "Driver", 5},
    {"Catering", "Head chef", "Caterer", 3},
};
static const char *const characters[] = {
    "Maud Fenwick", "Tobias Fenwick", "The Lighthouse Keeper", "Sergeant Arkle", "Nell Ridley",
    "Father Coyle", "Young Maud",     "The Ferryman",          "Dr Haldane",     "Isla Ridley",
    "The Stranger", "Harbourmaster",
};

static const struct place {
	const char *name, *address, *lat, *lon, *parking, *hospital, *access;
	int confidential;
} places[] = {
    {"Bamburgh Beach", "The Wynding, Bamburgh NE69 7DD", "55.6089", "-1.7099",
     "Unit base in the dunes car park", "Berwick Infirmary", "Beach access by the Wynding only", 0},
    {"Seahouses Harbour", "Main Street, Seahouses NE68 7RD", "55.5822", "-1.6518",
     "Harbour car park, bays 1-20", "Wansbeck General Hospital", "Harbourmaster's office key", 0},
    {"Craster Smokehouse", "Haven Hill, Craster NE66 3TR", "55.4722", "-1.5928", "Village car park",
     "Alnwick Infirmary", "Ask for the yard gate", 0},
    {"Dunstanburgh Path", "Coastal path south of Embleton NE66 3XQ", "55.4897", "-1.5950",
     "Embleton quarry car park", "Alnwick Infirmary", "Four-by-four only past the gate", 0},
    {"Lindisfarne Causeway", "Holy Island causeway, Beal TD15 2SS", "55.6802", "-1.8472",
     "Beal lay-by", "Berwick Infirmary", "Check the tide tables; crossing closes at high water", 0},
    {"Fenwick House", "Private estate near Howick NE66 3LB", "55.4531", "-1.5911", "Estate paddock",
     "Alnwick Infirmary", "Gate code from the location manager only", 1},
};

static const char *const sets[] = {
    "Harbour wall",      "Fenwick kitchen", "Lighthouse stair", "Smokehouse yard", "Beach at dawn",
    "Causeway crossing", "Fenwick library", "Chapel ruins",     "Ferry deck",      "Police house"};

/* A fixed-seed generator (xorshift32): the same demo every time. */
static unsigned
next(unsigned *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

#define PICK(arr, x) (arr)[next(x) % nitems(arr)]

static int
add_person(struct store *s, const char *prod, const char *department, const char *kind,
           const char *job, const char *character, int key_contact, int n, unsigned *x,
           char *id_out, struct err *e)
{
	struct store_person p;
	char first[32], last[32];
	memset(&p, 0, sizeof(p));
	snprintf(first, sizeof(first), "%s", PICK(first_names, x));
	snprintf(last, sizeof(last), "%s", PICK(last_names, x));
	snprintf(p.production_id, sizeof(p.production_id), "%s", prod);
	snprintf(p.kind, sizeof(p.kind), "%s", kind);
	snprintf(p.name, sizeof(p.name), "%s %s", first, last);
	if (store_department_find(s, prod, department, p.department_id, sizeof(p.department_id),
	                          e) != 1)
		return err_set(e, 500, "the demo department %s is missing", department);
	snprintf(p.job_title, sizeof(p.job_title), "%s", job);
	snprintf(p.character_name, sizeof(p.character_name), "%s", character);
	p.key_contact = key_contact;
	snprintf(p.work_phone, sizeof(p.work_phone), "+44 191 496 %04d", 100 + n);
	snprintf(p.work_email, sizeof(p.work_email), "%c.%s@northernlights.example", first[0],
	         last);
	snprintf(p.personal_phone, sizeof(p.personal_phone), "+44 7700 9%05d", 10000 + n * 37);
	snprintf(p.personal_email, sizeof(p.personal_email), "%s.%s.%d@homemail.example", first,
	         last, n);
	snprintf(p.home_address, sizeof(p.home_address), "%d %s, Newcastle upon Tyne NE%d %dXY",
	         3 + n, PICK(streets, x), 1 + n % 20, 1 + n % 9);
	snprintf(p.emergency_contact, sizeof(p.emergency_contact),
	         "%s %s (partner), +44 7700 8%05d", PICK(first_names, x), last, 20000 + n * 41);
	snprintf(p.date_of_birth, sizeof(p.date_of_birth), "19%02d-%02d-%02d", 60 + n % 40,
	         1 + n % 12, 1 + n % 28);
	snprintf(p.dietary, sizeof(p.dietary), "%s", PICK(diets, x));
	snprintf(p.medical, sizeof(p.medical), "%s",
	         n % 9 == 0 ? "asthma: inhaler in the kit bag" : "");
	snprintf(p.id_numbers, sizeof(p.id_numbers), "passport %09d", 500000000 + n * 7919);
	if (store_person_create(s, &p, e) == -1)
		return -1;
	snprintf(id_out, STORE_ID_LEN + 8, "%s", p.id);
	return 0;
}

#define NDAYS   25
#define NSCENES 120

/* What a shoot day burns and books, by department: fuel logs, hotel nights, waste. */
static const struct activity {
	const char *department, *factor, *unit;
	unsigned base, spread; /* quantity: base + 0 … spread - 1 */
	int every;             /* on every n-th shoot day */
	double scale;          /* quantity × scale, for fractions */
	const char *note;
} activities[] = {
    {"Electric", "gas-oil", "L", 140, 120, 1, 1, "generator, unit base"},
    {"Transport", "diesel-average-biofuel-blend", "L", 60, 90, 1, 1, "unit vehicles, fuel log"},
    {"Transport", "average-van-up-to-3-5-t-diesel", "km", 80, 140, 1, 1, "crew minibus"},
    {"Locations", "hotel-stay-uk", "room_night", 6, 10, 5, 1, "cast and crew away nights"},
    {"Catering", "organic-food-and-drink-waste-composting", "t", 20, 30, 1, 0.001,
     "food waste, collected"},
    {"Art", "wood-timber-primary-production", "t", 300, 500, 10, 0.001, "set build timber"},
    {"Production", "long-haul-flight-to-from-uk-economy", "passenger_km", 5500, 1, 12, 1,
     "visiting cast, one way"},
};

/* The footprint so far: the activities above over the shoot days, entered as the admin. */
static int
demo_footprint(struct store *s, const char *prod, const char *user_id,
               char (*days)[2][STORE_ID_LEN + 8], int ndays, unsigned *x, struct err *e)
{
	struct store_factor_set set;
	struct store_carbon_settings cs;
	char dept[STORE_ID_LEN + 8];

	if (store_carbon_settings_get(s, prod, &cs, e) == -1 ||
	    store_factor_set_latest(s, cs.factor_set, &set, e) != 1)
		return err_set(e, 500, "the demo's factor set is missing");
	cs.budget_g = 150000000; /* 150 t */
	cs.share_totals = 1;
	if (store_carbon_settings_put(s, prod, &cs, e) == -1)
		return -1;
	for (int d = 0; d < ndays; d++) {
		for (size_t a = 0; a < nitems(activities); a++) {
			const struct activity *ac = &activities[a];
			struct store_carbon_entry en;
			if (d % ac->every != 0)
				continue;
			memset(&en, 0, sizeof(en));
			if (store_department_find(s, prod, ac->department, dept, sizeof(dept), e) !=
			    1)
				return err_set(e, 500, "the demo has no department %s",
				               ac->department);
			snprintf(en.production_id, sizeof(en.production_id), "%s", prod);
			snprintf(en.day_id, sizeof(en.day_id), "%.37s", days[d][0]);
			snprintf(en.date, sizeof(en.date), "%.10s", days[d][1]);
			snprintf(en.department_id, sizeof(en.department_id), "%s", dept);
			snprintf(en.unit, sizeof(en.unit), "%s", ac->unit);
			snprintf(en.note, sizeof(en.note), "%s", ac->note);
			snprintf(en.entered_by, sizeof(en.entered_by), "%s", user_id);
			en.quantity = (double)(ac->base + next(x) % ac->spread) * ac->scale;
			if (carbon_resolve(s, prod, &set, cs.include_rf, ac->factor, en.quantity,
			                   ac->unit, &en.factor, &en.co2e_g, e) == -1)
				return err_set(e, 500, "demo factor %s: %s", ac->factor, e->msg);
			en.factor_id = en.factor.id;
			snprintf(en.category, sizeof(en.category), "%s", en.factor.category);
			if (store_carbon_entry_create(s, &en, e) == -1)
				return -1;
		}
	}
	return 0;
}

/*
 * The call sheets of the first n days, published by user_id as
 * POST …/days/{did}/callsheets publishes them, so the call-sheet page has
 * something to show from the start.
 */
static int
demo_publish(struct store *s, const char *prod, const char *user_id,
             char (*days)[2][STORE_ID_LEN + 8], int n, struct err *e)
{
	struct store_production p;
	struct store_day d;
	struct store_callsheet cs;
	int found;

	if ((found = store_production_get(s, prod, &p, e)) != 1)
		return found == 0 ? err_set(e, 500, "the demo production is gone") : -1;
	for (int i = 0; i < n; i++) {
		if ((found = store_day_get(s, prod, days[i][0], &d, e)) != 1)
			return found == 0 ? err_set(e, 500, "a demo day is gone") : -1;
		if (api_callsheet_publish_now(s, &p, &d, user_id, &cs, NULL, e) == -1)
			return -1;
	}
	return 0;
}

int
demo_load(struct store *s, const char *prod, const char *user_id, struct err *e)
{
	static char days[NDAYS][2][STORE_ID_LEN + 8];
	static char crew_ids[80][STORE_ID_LEN + 8], cast_ids[12][STORE_ID_LEN + 8];
	char loc_ids[6][STORE_ID_LEN + 8], scene_ids[NSCENES][STORE_ID_LEN + 8];
	unsigned x = 0x5eed1e55u;
	int ncrew = 0, n = 0;

	for (size_t d = 0; d < nitems(crew); d++)
		for (int k = 0; k < crew[d].count; k++, n++)
			if (add_person(s, prod, crew[d].department, "crew",
			               k == 0 ? crew[d].head_job : crew[d].job, "", k == 0 && d < 2,
			               n, &x, crew_ids[ncrew++], e) == -1)
				return -1;
	for (int c = 0; c < 12; c++, n++)
		if (add_person(s, prod, "Cast", "cast", "Actor", characters[c], 0, n, &x,
		               cast_ids[c], e) == -1)
			return -1;
	for (int i = 0; i < 6; i++) {
		struct store_location l;
		memset(&l, 0, sizeof(l));
		snprintf(l.production_id, sizeof(l.production_id), "%s", prod);
		snprintf(l.name, sizeof(l.name), "%s", places[i].name);
		snprintf(l.address, sizeof(l.address), "%s", places[i].address);
		snprintf(l.latitude, sizeof(l.latitude), "%s", places[i].lat);
		snprintf(l.longitude, sizeof(l.longitude), "%s", places[i].lon);
		snprintf(l.parking, sizeof(l.parking), "%s", places[i].parking);
		snprintf(l.nearest_hospital, sizeof(l.nearest_hospital), "%s", places[i].hospital);
		snprintf(l.access_notes, sizeof(l.access_notes), "%s", places[i].access);
		snprintf(l.contact, sizeof(l.contact), "Site contact, +44 1665 %06d", 510000 + i);
		l.confidential = places[i].confidential;
		if (store_location_create(s, &l, e) == -1)
			return -1;
		snprintf(loc_ids[i], sizeof(loc_ids[i]), "%s", l.id);
	}
	for (int i = 0; i < NSCENES; i++) {
		struct store_scene sc;
		const char *cast[3];
		memset(&sc, 0, sizeof(sc));
		snprintf(sc.production_id, sizeof(sc.production_id), "%s", prod);
		snprintf(sc.number, sizeof(sc.number), "%d", i + 1);
		snprintf(sc.int_ext, sizeof(sc.int_ext), "%s", i % 3 == 0 ? "INT" : "EXT");
		snprintf(sc.day_night, sizeof(sc.day_night), "%s", i % 4 == 3 ? "NIGHT" : "DAY");
		snprintf(sc.set_name, sizeof(sc.set_name), "%s", sets[i % 10]);
		sc.eighths = 2 + (int)(next(&x) % 14);
		snprintf(sc.synopsis, sizeof(sc.synopsis),
		         "%s and %s at the %s: scene %d turns on a letter.", characters[i % 12],
		         characters[(i + 5) % 12], sets[i % 10], i + 1);
		if (store_scene_create(s, &sc, e) == -1)
			return -1;
		for (int k = 0; k < 3; k++)
			cast[k] = cast_ids[(i + 5 * k) % 12];
		if (store_scene_set_cast(s, sc.id, cast, 2 + (size_t)(i % 2), e) == -1)
			return -1;
		snprintf(scene_ids[i], sizeof(scene_ids[i]), "%s", sc.id);
	}
	for (int d = 0; d < NDAYS; d++) {
		struct store_day day;
		const char *locs[2] = {loc_ids[d % 6], loc_ids[(d + 1) % 6]};
		const char *scenes[5];
		int week = d / 5, wd = d % 5;
		memset(&day, 0, sizeof(day));
		snprintf(day.production_id, sizeof(day.production_id), "%s", prod);
		/* Monday 1 March 2027 onwards, five days a week */
		{
			int dom = 1 + week * 7 + wd; /* day of March; April after the 31st */
			snprintf(day.date, sizeof(day.date), "2027-%02u-%02u", dom > 31 ? 4u : 3u,
			         (unsigned)(dom > 31 ? dom - 31 : dom) % 100u);
		}
		snprintf(day.unit, sizeof(day.unit), "Main");
		snprintf(day.general_call, sizeof(day.general_call), "%s",
		         d % 5 == 4 ? "14:00" : "07:00");
		snprintf(day.wrap_estimate, sizeof(day.wrap_estimate), "%s",
		         d % 5 == 4 ? "25:00" : "19:00");
		if (store_day_create(s, &day, e) == -1 ||
		    store_day_set_locations(s, day.id, locs, 2, e) == -1)
			return -1;
		snprintf(days[d][0], sizeof(days[d][0]), "%s", day.id);
		snprintf(days[d][1], sizeof(days[d][1]), "%.15s", day.date);
		for (int k = 0; k < 5; k++)
			scenes[k] = scene_ids[(d * 5 + k) % NSCENES];
		if (store_day_set_scenes(s, day.id, scenes, d < 24 ? 5 : 0, e) == -1)
			return -1;
		for (int p = 0; p < ncrew + 12; p++) {
			struct store_call c;
			int is_cast = p >= ncrew;
			int base = d % 5 == 4 ? 13 * 60 : 6 * 60;
			if (is_cast && (p - ncrew + d) % 3 != 0)
				continue; /* each cast member works about one day in three */
			memset(&c, 0, sizeof(c));
			snprintf(c.production_id, sizeof(c.production_id), "%s", prod);
			snprintf(c.day_id, sizeof(c.day_id), "%s", day.id);
			memcpy(c.person_id, is_cast ? cast_ids[p - ncrew] : crew_ids[p],
			       sizeof(c.person_id));
			base += (p % 4) * 15;
			snprintf(c.call_time, sizeof(c.call_time), "%02d:%02d", base / 60,
			         base % 60);
			if (is_cast) {
				snprintf(c.pickup, sizeof(c.pickup), "%02d:%02d", (base - 30) / 60,
				         (base - 30) % 60);
				snprintf(c.hair_makeup, sizeof(c.hair_makeup), "%02d:%02d",
				         (base + 15) / 60, (base + 15) % 60);
				snprintf(c.on_set, sizeof(c.on_set), "%02d:%02d", (base + 90) / 60,
				         (base + 90) % 60);
				snprintf(c.cast_status, sizeof(c.cast_status), "%s",
				         d < 3    ? "start"
				         : d > 21 ? "finish"
				                  : "work");
			}
			if (store_call_put(s, &c, e) == -1)
				return -1;
		}
	}
	if (demo_publish(s, prod, user_id, days, 2, e) == -1)
		return -1;
	return demo_footprint(s, prod, user_id, days, NDAYS, &x, e);
}
