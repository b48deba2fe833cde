package synth

// The world the synthetic incidents happen in: real situations (countries
// and contexts on the Council's agenda), and fictional parties. Party names
// are invented on purpose: attributing invented acts to real armed groups
// would fabricate allegations, even in a benchmark.

type situationDef struct {
	name, country, class, setting string
	onAgenda                      bool
	weight                        uint64 // share of incidents
	arabic, hebrew                int    // percent of incidents written in Arabic, Hebrew
	latE5, lonE5                  int    // centre, in 1e-5 degrees
	areas                         []string
	places                        []string // Latin-script towns; pseudo-names fill the tail
	arabicPlaces                  []string
	parties                       []partyDef
	// other is a second country the situation spans, with its own places.
	other *otherCountry
}

type otherCountry struct {
	country       string
	share         int // percent of Latin-script incidents placed there; Hebrew ones always are
	areas, places []string
	hebrewPlaces  []string
}

type partyDef struct {
	name, abbr, typ string
	names           []nameDef
	units           []partyDef
}

type nameDef struct {
	lang, name string
	alias      bool
}

func unit(name, typ string, units ...partyDef) partyDef {
	return partyDef{name: name, typ: typ, units: units}
}

var situations = []situationDef{
	{
		name: "Sudan", country: "SD", class: "NIAC", setting: "conflict", onAgenda: true, weight: 22, arabic: 25,
		latE5: 1350000, lonE5: 2700000,
		areas:        []string{"North Darfur", "West Darfur", "South Darfur", "Central Darfur", "Khartoum", "Gezira", "South Kordofan", "Blue Nile", "White Nile", "Sennar"},
		places:       []string{"El Fasher", "El Geneina", "Nyala", "Zalingei", "Omdurman", "Wad Madani", "Kadugli", "Ed Damazin", "Tawila", "Kutum", "Mellit", "Kebkabiya", "Sirba", "Ardamata", "Misterei"},
		arabicPlaces: []string{"الفاشر", "الجنينة", "نيالا", "زالنجي", "أم درمان", "ود مدني", "كادقلي", "الدمازين", "طويلة", "كتم"},
		parties: []partyDef{
			{name: "Nile Valley Armed Forces", abbr: "NVAF", typ: "state_armed_forces",
				names: []nameDef{{"ar", "القوات المسلحة لوادي النيل", false}},
				units: []partyDef{
					unit("NVAF 1st Infantry Division", "state_armed_forces", unit("NVAF 14th Battalion", "state_armed_forces"), unit("NVAF 19th Battalion", "state_armed_forces")),
					unit("NVAF Military Intelligence Directorate", "state_security_or_intelligence"),
				}},
			{name: "Desert Shield Forces", abbr: "DSF", typ: "non_state_armed_group",
				names: []nameDef{{"ar", "قوات درع الصحراء", false}, {"ar", "الدرع", true}},
				units: []partyDef{
					unit("DSF Western Sector Command", "non_state_armed_group", unit("DSF Mobile Unit 7", "non_state_armed_group")),
				}},
			{name: "Jebel Marra Liberation Movement", abbr: "JMLM", typ: "non_state_armed_group",
				names: []nameDef{{"ar", "حركة تحرير جبل مرة", false}}},
		},
	},
	{
		name: "Democratic Republic of the Congo", country: "CD", class: "NIAC", setting: "conflict", onAgenda: true, weight: 20,
		latE5: -150000, lonE5: 2900000,
		areas:  []string{"North Kivu", "South Kivu", "Ituri", "Tanganyika", "Kasai", "Maniema", "Haut-Uele"},
		places: []string{"Goma", "Bukavu", "Bunia", "Beni", "Butembo", "Rutshuru", "Masisi", "Kalehe", "Shabunda", "Djugu", "Mahagi", "Uvira", "Fizi", "Kalemie", "Walikale"},
		parties: []partyDef{
			{name: "Armed Forces of the Congo Basin", abbr: "AFCB", typ: "state_armed_forces",
				names: []nameDef{{"fr", "Forces armées du bassin du Congo", false}},
				units: []partyDef{
					unit("AFCB Operational Sector North", "state_armed_forces", unit("AFCB Regiment 3301", "state_armed_forces"), unit("AFCB Regiment 3410", "state_armed_forces")),
				}},
			{name: "Congo Basin National Police Rapid Unit", typ: "state_police"},
			{name: "Movement of the Twelfth of April", abbr: "M12A", typ: "non_state_armed_group",
				names: []nameDef{{"fr", "Mouvement du 12 Avril", false}},
				units: []partyDef{unit("M12A Northern Command", "non_state_armed_group")}},
			{name: "Ituri Self-Defence Cooperative", abbr: "ISDC", typ: "non_state_armed_group"},
			{name: "Peacekeeping Contingent Alpha", typ: "un_peacekeeping_contingent"},
		},
	},
	{
		name: "Israel and the State of Palestine", class: "IAC", setting: "conflict", onAgenda: true, weight: 9, arabic: 25, hebrew: 30,
		latE5: 3150000, lonE5: 3480000,
		country: "PS", areas: []string{"Gaza Strip", "West Bank"},
		places:       []string{"Gaza City", "Khan Younis", "Rafah", "Jenin", "Nablus", "Hebron", "Deir al-Balah", "Tulkarm"},
		arabicPlaces: []string{"غزة", "خان يونس", "رفح", "جنين", "نابلس", "الخليل", "دير البلح"},
		other: &otherCountry{country: "IL", share: 35, areas: []string{"Southern District", "Jerusalem District"},
			places:       []string{"Sderot", "Ashkelon", "Netivot", "Ofakim", "Beersheba"},
			hebrewPlaces: []string{"שדרות", "אשקלון", "נתיבות", "אופקים", "באר שבע"}},
		parties: []partyDef{
			{name: "State Defence Forces", abbr: "SDF", typ: "state_armed_forces",
				names: []nameDef{{"he", "כוחות ההגנה של המדינה", false}, {"ar", "قوات الدفاع", false}},
				units: []partyDef{unit("SDF Detention Facility Command", "state_security_or_intelligence")}},
			{name: "Coastal Brigades", typ: "terrorist_designated_group",
				names: []nameDef{{"ar", "كتائب الساحل", false}, {"he", "גדודי החוף", false}},
				units: []partyDef{unit("Coastal Brigades Assault Company", "terrorist_designated_group")}},
			{name: "Unaffiliated individuals (Gaza)", typ: "civilian_individuals",
				names: []nameDef{{"ar", "أفراد غير منتسبين", false}, {"he", "אנשים לא מזוהים", false}}},
		},
	},
	{
		name: "Ukraine", country: "UA", class: "IAC", setting: "conflict", onAgenda: true, weight: 10,
		latE5: 4850000, lonE5: 3550000,
		areas:  []string{"Donetsk", "Luhansk", "Kherson", "Zaporizhzhia", "Kharkiv", "Kyiv"},
		places: []string{"Mariupol", "Bucha", "Izium", "Kherson", "Melitopol", "Berdiansk", "Kupiansk", "Balakliia", "Enerhodar", "Nova Kakhovka"},
		parties: []partyDef{
			{name: "Eastern Expeditionary Forces", abbr: "EEF", typ: "state_armed_forces",
				names: []nameDef{{"uk", "Східні експедиційні сили", false}},
				units: []partyDef{unit("EEF Penal Colony Administration No. 4", "state_security_or_intelligence")}},
			{name: "Volunteer Corps North", typ: "state_affiliated_militia"},
		},
	},
	{
		name: "Myanmar", country: "MM", class: "NIAC", setting: "conflict", onAgenda: true, weight: 8,
		latE5: 2100000, lonE5: 9600000,
		areas:  []string{"Rakhine", "Sagaing", "Magway", "Kachin", "Shan", "Karen", "Chin"},
		places: []string{"Sittwe", "Maungdaw", "Buthidaung", "Monywa", "Hakha", "Myitkyina", "Lashio", "Hpa-an", "Mindat", "Kale"},
		parties: []partyDef{
			{name: "Union Defence Army", abbr: "UDA", typ: "state_armed_forces",
				units: []partyDef{unit("UDA Light Infantry Division 909", "state_armed_forces", unit("UDA Battalion 318", "state_armed_forces"))}},
			{name: "Hill Peoples Resistance Army", abbr: "HPRA", typ: "non_state_armed_group"},
		},
	},
	{
		name: "South Sudan", country: "SS", class: "NIAC", setting: "conflict", onAgenda: true, weight: 8,
		latE5: 750000, lonE5: 3000000,
		areas:  []string{"Unity", "Upper Nile", "Jonglei", "Central Equatoria", "Western Equatoria", "Warrap"},
		places: []string{"Bentiu", "Malakal", "Bor", "Juba", "Yei", "Leer", "Mayendit", "Nasir", "Tambura", "Kajo Keji"},
		parties: []partyDef{
			{name: "People's Defence Forces", abbr: "PDF", typ: "state_armed_forces",
				units: []partyDef{unit("PDF Division 4", "state_armed_forces")}},
			{name: "Upper Nile Opposition Army", abbr: "UNOA", typ: "non_state_armed_group"},
			{name: "Peacekeeping Contingent Bravo", typ: "un_peacekeeping_contingent"},
		},
	},
	{
		name: "Central African Republic", country: "CF", class: "NIAC", setting: "conflict", onAgenda: true, weight: 7,
		latE5: 650000, lonE5: 2050000,
		areas:  []string{"Ouham", "Ouham-Pendé", "Haute-Kotto", "Vakaga", "Basse-Kotto", "Mbomou"},
		places: []string{"Bambari", "Bria", "Kaga-Bandoro", "Bossangoa", "Paoua", "Birao", "Bangassou", "Ndélé", "Obo", "Alindao"},
		parties: []partyDef{
			{name: "Coalition of the North-East", abbr: "CNE", typ: "non_state_armed_group",
				names: []nameDef{{"fr", "Coalition du Nord-Est", false}}},
			{name: "Mobile Gendarmerie", typ: "state_police", names: []nameDef{{"fr", "Gendarmerie mobile", false}}},
			{name: "Orion Security Group", typ: "private_military_security_company"},
			{name: "Peacekeeping Contingent Charlie", typ: "un_peacekeeping_contingent"},
		},
	},
	{
		name: "Syrian Arab Republic", country: "SY", class: "NIAC", setting: "conflict", onAgenda: true, weight: 7, arabic: 50,
		latE5: 3500000, lonE5: 3800000,
		areas:        []string{"Aleppo", "Idlib", "Homs", "Rif Dimashq", "Deir ez-Zor", "Raqqa", "Daraa"},
		places:       []string{"Aleppo", "Idlib", "Homs", "Douma", "Raqqa", "Deir ez-Zor", "Daraa", "Afrin", "Hama", "Saydnaya"},
		arabicPlaces: []string{"حلب", "إدلب", "حمص", "دوما", "الرقة", "دير الزور", "درعا", "عفرين", "حماة", "صيدنايا"},
		parties: []partyDef{
			{name: "Levant Republican Guard", abbr: "LRG", typ: "state_armed_forces",
				names: []nameDef{{"ar", "الحرس الجمهوري الشامي", false}}},
			{name: "Intelligence Branch 900", typ: "state_security_or_intelligence",
				names: []nameDef{{"ar", "فرع المخابرات 900", false}}},
			{name: "Northern Mountain Front", abbr: "NMF", typ: "non_state_armed_group",
				names: []nameDef{{"ar", "جبهة الجبل الشمالي", false}}},
			{name: "Desert Caliphate Group", abbr: "DCG", typ: "terrorist_designated_group",
				names: []nameDef{{"ar", "جماعة خلافة الصحراء", false}, {"ar", "الخلافة", true}}},
		},
	},
	{
		name: "Haiti", country: "HT", class: "none", setting: "other_concern", onAgenda: true, weight: 5,
		latE5: 1855000, lonE5: -7230000,
		areas:  []string{"Ouest", "Artibonite", "Centre"},
		places: []string{"Port-au-Prince", "Cité Soleil", "Croix-des-Bouquets", "Carrefour", "Pétion-Ville", "Gonaïves", "Saint-Marc", "Mirebalais"},
		parties: []partyDef{
			{name: "Lakay Gang Coalition", typ: "criminal_gang", names: []nameDef{{"ht", "Koalisyon Lakay", false}}},
			{name: "Baz Solèy", typ: "criminal_gang"},
			{name: "Port Police Intervention Unit", typ: "state_police"},
		},
	},
	{
		name: "Mali", country: "ML", class: "NIAC", setting: "conflict", onAgenda: true, weight: 4, arabic: 5,
		latE5: 1650000, lonE5: -300000,
		areas:        []string{"Mopti", "Gao", "Timbuktu", "Ségou", "Ménaka", "Kidal"},
		places:       []string{"Mopti", "Gao", "Timbuktu", "Ségou", "Ménaka", "Kidal", "Djenné", "Bandiagara", "Douentza", "Moura"},
		arabicPlaces: []string{"تمبكتو", "غاو", "كيدال"},
		parties: []partyDef{
			{name: "Sahel Defence and Security Forces", abbr: "SDSF", typ: "state_armed_forces",
				names: []nameDef{{"fr", "Forces de défense et de sécurité du Sahel", false}}},
			{name: "Tamarisk Contractors", typ: "private_military_security_company"},
			{name: "Azawad Jihadist Front", abbr: "AJF", typ: "terrorist_designated_group",
				names: []nameDef{{"ar", "جبهة أزواد الجهادية", false}}},
		},
	},
}

var (
	violationTypes = newWeighted(
		opt("rape", 300), opt("gang_rape", 120), opt("attempted_rape", 60), opt("sexual_assault", 140),
		opt("sexual_slavery", 40), opt("forced_prostitution", 20), opt("forced_pregnancy", 10),
		opt("forced_abortion", 8), opt("enforced_sterilization", 5), opt("forced_marriage", 40),
		opt("trafficking_for_sexual_purposes", 20), opt("sexual_torture", 60), opt("genital_violence", 30),
		opt("forced_nudity", 80), opt("sexual_mutilation", 15), opt("sexual_violence_against_corpse", 10),
		opt("other_sexual_violence", 40))
	sexes        = newWeighted(opt("female", 80), opt("male", 12), opt("other", 1), opt("unknown", 7))
	ageGroups    = newWeighted(opt("adult", 55), opt("child", 25), opt("unknown", 20))
	victimStatus = newWeighted(opt("at_liberty", 40), opt("hostage", 5), opt("released_hostage", 3),
		opt("detainee", 15), opt("deceased", 4), opt("missing", 3), opt("displaced", 20), opt("unknown", 10))
	contexts = newWeighted(opt("during_attack", 30), opt("captivity", 6), opt("detention", 14), opt("checkpoint", 8),
		opt("camp", 10), opt("house_search", 8), opt("flight_or_displacement", 10), opt("peace_operation", 4),
		opt("other", 4), opt("unknown", 6))
	statuses        = newWeighted(opt("draft", 30), opt("under_review", 30), opt("verified", 40))
	datePrecisions  = newWeighted(opt("day", 55), opt("month", 15), opt("year", 8), opt("range", 10), opt("approximate", 7), opt("unknown", 5))
	locPrecisions   = newWeighted(opt("exact", 20), opt("near", 15), opt("locality", 30), opt("admin_area", 10))
	actsPerIncident = newWeighted(opt(1, 20), opt(2, 20), opt(3, 25), opt(4, 15), opt(5, 10), opt(6, 10))
	perpsPerAct     = newWeighted(opt(1, 80), opt(2, 17), opt(3, 3))
	linksPerIncid   = newWeighted(opt(0, 25), opt(1, 50), opt(2, 20), opt(3, 5))
	sourceKinds     = newWeighted(opt("un_report", 15), opt("ngo_report", 20), opt("media_report", 20),
		opt("open_source_post", 8), opt("survivor", 10), opt("witness", 10), opt("medical_provider", 6),
		opt("government_report", 3), opt("official_statement", 2), opt("perpetrator_media", 2),
		opt("sanctions_decision", 1), opt("indictment", 1), opt("court_judgment", 1), opt("other", 1))
	reliabilities = newWeighted(opt("high", 30), opt("medium", 40), opt("low", 15), opt("unknown", 15))
	connections   = newWeighted(opt("direct_victim", 25), opt("eyewitness", 25), opt("hearsay", 10),
		opt("perpetrator_own_media", 3), opt("documentary", 15), opt("forensic_or_expert_analysis", 7),
		opt("investigation_finding", 10), opt("unknown", 5))
)

// violationPhrases start a title in each script.
var violationPhrases = map[string][3]string{
	"rape":                            {"Rape", "اغتصاب", "אונס"},
	"gang_rape":                       {"Gang rape", "اغتصاب جماعي", "אונס קבוצתי"},
	"attempted_rape":                  {"Attempted rape", "محاولة اغتصاب", "ניסיון אונס"},
	"sexual_assault":                  {"Sexual assault", "اعتداء جنسي", "תקיפה מינית"},
	"sexual_slavery":                  {"Sexual slavery", "استعباد جنسي", "עבדות מינית"},
	"forced_prostitution":             {"Forced prostitution", "بغاء قسري", "זנות כפויה"},
	"forced_pregnancy":                {"Forced pregnancy", "حمل قسري", "היריון כפוי"},
	"forced_abortion":                 {"Forced abortion", "إجهاض قسري", "הפלה כפויה"},
	"enforced_sterilization":          {"Enforced sterilization", "تعقيم قسري", "עיקור כפוי"},
	"forced_marriage":                 {"Forced marriage", "زواج قسري", "נישואים כפויים"},
	"trafficking_for_sexual_purposes": {"Trafficking for sexual purposes", "اتجار لأغراض جنسية", "סחר למטרות מין"},
	"sexual_torture":                  {"Sexual torture", "تعذيب جنسي", "עינויים מיניים"},
	"genital_violence":                {"Genital violence", "عنف ضد الأعضاء التناسلية", "אלימות באיברי המין"},
	"forced_nudity":                   {"Forced nudity", "تعرية قسرية", "עירום כפוי"},
	"sexual_mutilation":               {"Sexual mutilation", "تشويه جنسي", "השחתה מינית"},
	"sexual_violence_against_corpse":  {"Sexual violence against a body", "عنف جنسي ضد جثة", "אלימות מינית בגופה"},
	"other_sexual_violence":           {"Sexual violence", "عنف جنسي", "אלימות מינית"},
}

// victimPhrases describe the first act's victim in a title, by sex and
// whether the victim is a child, in each script.
func victimPhrase(sc script, sex, age string, count int) string {
	child := age == "child"
	male := sex == "male"
	switch sc {
	case arabicScript:
		switch {
		case count > 1 && child:
			return "ضد أطفال"
		case count > 1:
			return "ضد مدنيين"
		case child && male:
			return "ضد صبي"
		case child:
			return "ضد فتاة"
		case male:
			return "ضد رجل"
		}
		return "ضد امرأة"
	case hebrewScript:
		switch {
		case count > 1 && child:
			return "נגד ילדים"
		case count > 1:
			return "נגד אזרחים"
		case child && male:
			return "נגד נער"
		case child:
			return "נגד נערה"
		case male:
			return "נגד גבר"
		}
		return "נגד אישה"
	}
	switch {
	case count > 1 && child:
		return "against " + numberWord(count) + " children"
	case count > 1 && male:
		return "against " + numberWord(count) + " men"
	case count > 1:
		return "against " + numberWord(count) + " women and girls"
	case child && male:
		return "against a boy"
	case child:
		return "against a girl"
	case male:
		return "against a man"
	}
	return "against a woman"
}

func numberWord(n int) string {
	words := []string{"", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"}
	if n < len(words) {
		return words[n]
	}
	return "at least " + itoa(n)
}

// leads open a summary in English, by context; %s is the place.
var leads = map[string][]string{
	"during_attack":          {"During an attack on %s, armed men went from house to house.", "Fighters entered %s at dawn and separated women from men."},
	"captivity":              {"Survivors held captive near %s described repeated abuse.", "Women abducted from %s were held for weeks."},
	"detention":              {"Former detainees held at a facility in %s described abuse during interrogation.", "Detainees transferred from %s reported abuse by guards."},
	"checkpoint":             {"At a checkpoint outside %s, travellers were stopped and searched.", "Women crossing the checkpoint at %s were taken aside."},
	"camp":                   {"In a displacement camp near %s, residents collecting firewood were attacked.", "Residents of the camp at %s reported assaults at night."},
	"house_search":           {"During house searches in %s, soldiers entered homes at night.", "Security forces searching homes in %s detained several residents."},
	"flight_or_displacement": {"Families fleeing %s were stopped on the road.", "People displaced from %s were attacked while travelling."},
	"peace_operation":        {"Residents near the base at %s reported abuse by peacekeepers.", "A complaint from %s concerns members of a peacekeeping contingent."},
	"other":                  {"Reports from %s describe sexual violence.", "A health worker in %s documented the following."},
	"unknown":                {"Information received about %s describes sexual violence.", "Sources in %s reported the following."},
}

var arabicLeads = []string{"خلال هجوم على %s دخل مسلحون المنازل.", "أفادت شاهدة من %s بما يلي.", "عند حاجز قرب %s أوقف مسلحون النساء."}
var hebrewLeads = []string{"במהלך המתקפה על %s נכנסו חמושים לבתים.", "עדה מ%s מסרה את הפרטים הבאים.", "לפי עדויות מאזור %s."}

var tagsByType = map[string][]string{
	"rape":           {"svac:rape", "report:rape"},
	"gang_rape":      {"svac:rape", "report:gang rape"},
	"sexual_slavery": {"svac:sexual_slavery"},
	"forced_nudity":  {"report:strip search", "svac:other"},
	"sexual_torture": {"svac:sexual_torture", "report:torture in detention"},
}

var genericTags = []string{"mrm:grave_violation", "report:child survivor", "source:health facility", "followup:referral", "verification:pending"}

var organisations = []string{"UN monitoring mission", "Office of the High Commissioner for Human Rights", "Independent Commission of Inquiry",
	"Women's rights network", "Health cluster", "Local human rights observatory", "International medical NGO", "Press agency",
	"Regional rights coalition", "Survivors' association"}

var actors = func() []string {
	var out []string
	for i := 1; i <= 30; i++ {
		out = append(out, "monitor:m"+pad2(i))
	}
	for i := 1; i <= 10; i++ {
		out = append(out, "analyst:a"+pad2(i))
	}
	return out
}()

func pad2(i int) string {
	if i < 10 {
		return "0" + itoa(i)
	}
	return itoa(i)
}
