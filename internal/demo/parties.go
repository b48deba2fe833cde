package demo

import "github.com/dossier-org/dossier/internal/party"

// parties are those the reference names (§3.6, §3.7, §4). Where the
// reference knows a party's listing only from memory, the description says
// UNCONFIRMED, and no demo act is attributed to it.
type parties struct {
	hamas, qassam, nukhba        *party.Party
	pij, alQuds, alAqsa          *party.Party
	civilians                    *party.Party
	israeliForces, russianForces *party.Party
	saf, rsf, jem                *party.Party
	fardc, pnc, m23, fdlr, adf   *party.Party
	exSeleka, lra, antiBalaka    *party.Party
	isil                         *party.Party
}

const unconfirmedDRC = "UNCONFIRMED: the reference names this party among parties in the Democratic Republic of the Congo " +
	"from memory only [MEMORY]; its listing in any annex is not established there. No demo act is attributed to it."

func names(ns ...party.Name) []party.Name { return ns }

func name(lang, text string) party.Name  { return party.Name{Lang: lang, Text: text} }
func alias(lang, text string) party.Name { return party.Name{Lang: lang, Text: text, Alias: true} }

func (s *set) addParties() parties {
	var x parties

	// Israel and the State of Palestine.
	x.hamas = s.party(party.Party{
		Name:        "Hamas",
		Type:        party.NonStateArmedGroup,
		CountryCode: "PS",
		Names: names(name("ar", "حركة المقاومة الإسلامية"), alias("ar", "حماس"), name("he", "חמאס"),
			alias("en", "Islamic Resistance Movement"), name("fr", "Mouvement de la résistance islamique")),
		Description: "Listed in the annex of S/2025/389 (14 August 2025) for the first time, on UN-documented information for 2024: " +
			"reasonable grounds to believe that some hostages taken to Gaza suffered various forms of sexual violence in captivity, " +
			"and clear and convincing information that sexual violence was committed during the 7 October 2023 attacks in at " +
			"least six locations. Not listed in S/2024/292, whose body noted that the SRSG-SVC mission had drawn no conclusion on " +
			"attribution to specific armed groups. Reported to remain listed in the 2026 report (UNCONFIRMED).",
	})
	x.qassam = s.party(party.Party{
		Name:        "Izz ad-Din al-Qassam Brigades",
		Type:        party.NonStateArmedGroup,
		ParentID:    x.hamas.ID,
		CountryCode: "PS",
		Names: names(name("ar", "كتائب الشهيد عز الدين القسام"), alias("ar", "كتائب القسام"),
			name("he", "גדודי עז א-דין אל-קסאם"), alias("en", "Qassam Brigades"), alias("en", "al-Qassam Brigades"),
			name("fr", "Brigades Izz al-Din al-Qassam")),
		Description: "Hamas's military wing. Listed by the Council of the EU on 12 April 2024 (Council Decision (CFSP) 2024/1074) " +
			"for sexual and gender-based violence on 7 October 2023. Held chiefly responsible for the violations of 7 October by " +
			"Amnesty International (December 2025); named by Human Rights Watch (July 2024) with at least four other groups, and, " +
			"as the military wing of Hamas, by the Commission of Inquiry (June 2024).",
	})
	x.nukhba = s.party(party.Party{
		Name:        "Nukhba force",
		Type:        party.NonStateArmedGroup,
		ParentID:    x.qassam.ID,
		CountryCode: "PS",
		Names: names(alias("en", "Nukhba Force"), name("ar", "قوات النخبة"), alias("ar", "وحدة النخبة"),
			name("he", "כוח הנוח'בה"), alias("he", "נוח'בה")),
		Description: "Described by the Council of the EU as Hamas's special forces; listed by the Council on 12 April 2024 " +
			"(Council Decision (CFSP) 2024/1074) for sexual and gender-based violence on 7 October 2023. Recorded as a unit of " +
			"the Qassam Brigades, Hamas's military wing, so that acts attributed to it count for both.",
	})
	x.pij = s.party(party.Party{
		Name:         "Palestinian Islamic Jihad",
		Abbreviation: "PIJ",
		Type:         party.NonStateArmedGroup,
		CountryCode:  "PS",
		Names: names(name("ar", "حركة الجهاد الإسلامي في فلسطين"), alias("ar", "الجهاد الإسلامي"),
			name("he", "הג'יהאד האסלאמי הפלסטיני"), name("fr", "Jihad islamique palestinien")),
		Description: "Its armed wing, the Al-Quds Brigades, was listed by the Council of the EU on 12 April 2024 and is named by " +
			"Human Rights Watch and Amnesty International.",
	})
	x.alQuds = s.party(party.Party{
		Name:        "Al-Quds Brigades",
		Type:        party.NonStateArmedGroup,
		ParentID:    x.pij.ID,
		CountryCode: "PS",
		Names: names(name("ar", "سرايا القدس"), name("he", "סראיא אל-קודס"), alias("en", "Saraya al-Quds"),
			name("fr", "Brigades al-Qods")),
		Description: "Armed wing of Palestinian Islamic Jihad (Council of the EU). Listed by the Council on 12 April 2024 " +
			"(Council Decision (CFSP) 2024/1074) for sexual and gender-based violence on 7 October 2023. Named by Human Rights " +
			"Watch (July 2024) and by Amnesty International (December 2025).",
	})
	x.alAqsa = s.party(party.Party{
		Name:        "Al-Aqsa Martyrs' Brigades",
		Type:        party.NonStateArmedGroup,
		CountryCode: "PS",
		Names:       names(name("ar", "كتائب شهداء الأقصى"), name("he", "גדודי חללי אל-אקצא")),
		Description: "Named by Amnesty International (December 2025) among the perpetrators of the violations of 7 October, to a " +
			"lesser extent than the Qassam Brigades. The reference does not place it under another organisation.",
	})
	x.civilians = s.party(party.Party{
		Name:        "Palestinian individuals in civilian clothing",
		Type:        party.CivilianIndividuals,
		CountryCode: "PS",
		Names:       names(name("ar", "أفراد فلسطينيون بملابس مدنية"), name("he", "אנשים פלסטינים בלבוש אזרחי")),
		Description: "Not a party in the annex's sense: people with no known affiliation. Amnesty International names \"hundreds " +
			"of Palestinians in civilian clothing\" among the perpetrators of 7 October, while rejecting the claim that civilian " +
			"deaths were the work of unauthorised individuals; the Commission of Inquiry found that some Palestinian civilians " +
			"also committed war crimes on 7 October.",
	})
	x.israeliForces = s.party(party.Party{
		Name:        "Israeli armed and security forces",
		Type:        party.StateArmedForces,
		CountryCode: "IL",
		Names:       names(name("he", "כוחות הצבא והביטחון של ישראל"), name("ar", "القوات المسلحة وقوات الأمن الإسرائيلية")),
		Description: "Put on notice for potential listing in the next reporting cycle. The Secretary-General's letter of 11 August " +
			"2025 to Israel's ambassador cites \"significant concerns of patterns of certain forms of sexual violence\" and credible " +
			"information of violations against Palestinians in several prisons, a detention centre and a military base; it says " +
			"denial of access makes a definitive determination on patterns, trends and systematicity difficult. The notice annex " +
			"of S/2025/389 names genital violence, prolonged forced nudity and abusive strip searches in detention settings. The " +
			"Commission of Inquiry (June 2024) found Israeli forces responsible for war crimes and crimes against humanity, " +
			"including gender persecution and sexual and gender-based violence. A listing in the 2026 report is reported but " +
			"UNCONFIRMED.",
	})

	// Ukraine.
	x.russianForces = s.party(party.Party{
		Name:        "Russian armed and security forces and affiliated armed groups",
		Type:        party.StateArmedForces,
		CountryCode: "RU",
		Names: names(name("ru", "Вооружённые силы и силы безопасности Российской Федерации и связанные с ними вооружённые группы"),
			name("uk", "Збройні сили та сили безпеки Російської Федерації і пов'язані з ними збройні групи")),
		Description: "Put on notice in the second annex of S/2025/389 for sexual violence against detainees, mainly Ukrainian " +
			"prisoners of war, in 50 official and 22 unofficial detention facilities in Ukraine and Russia. Not listed in " +
			"S/2024/292. A listing in the 2026 report is reported but UNCONFIRMED.",
	})

	// Sudan.
	x.saf = s.party(party.Party{
		Name:         "Sudanese Armed Forces",
		Abbreviation: "SAF",
		Type:         party.StateArmedForces,
		CountryCode:  "SD",
		Names:        names(name("ar", "القوات المسلحة السودانية"), name("fr", "Forces armées soudanaises")),
		Description:  "Listed in the annex since 2017 (OSRSG-SVC press release, 1 August 2023).",
	})
	x.rsf = s.party(party.Party{
		Name:         "Rapid Support Forces",
		Abbreviation: "RSF",
		Type:         party.NonStateArmedGroup,
		CountryCode:  "SD",
		Names:        names(name("ar", "قوات الدعم السريع"), name("fr", "Forces de soutien rapide")),
		Description: "Listed in the annex since 2017 (OSRSG-SVC press release, 1 August 2023). On 1 August 2023 the SRSG-SVC asked " +
			"the RSF to issue a formal undertaking condemning conflict-related sexual violence and committing to prevention " +
			"measures (a unilateral communiqué). The reference does not say under which heading the annex places it.",
	})
	x.jem = s.party(party.Party{
		Name:         "Justice and Equality Movement",
		Abbreviation: "JEM",
		Type:         party.NonStateArmedGroup,
		CountryCode:  "SD",
		Names:        names(name("ar", "حركة العدل والمساواة")),
		Description:  "In the annex for Sudan around 2017 (secondary source: rassd.com, quoting the Secretary-General).",
	})

	// Democratic Republic of the Congo.
	x.fardc = s.party(party.Party{
		Name:         "Armed Forces of the Democratic Republic of the Congo",
		Abbreviation: "FARDC",
		Type:         party.StateArmedForces,
		CountryCode:  "CD",
		Names:        names(name("fr", "Forces armées de la République démocratique du Congo")),
		Description:  unconfirmedDRC,
	})
	x.pnc = s.party(party.Party{
		Name:         "Congolese National Police",
		Abbreviation: "PNC",
		Type:         party.StatePolice,
		CountryCode:  "CD",
		Names:        names(name("fr", "Police nationale congolaise")),
		Description:  unconfirmedDRC,
	})
	x.m23 = s.party(party.Party{
		Name:         "March 23 Movement",
		Abbreviation: "M23",
		Type:         party.NonStateArmedGroup,
		CountryCode:  "CD",
		Names:        names(name("fr", "Mouvement du 23 mars")),
		Description:  unconfirmedDRC,
	})
	x.fdlr = s.party(party.Party{
		Name:         "Democratic Forces for the Liberation of Rwanda",
		Abbreviation: "FDLR",
		Type:         party.NonStateArmedGroup,
		CountryCode:  "CD",
		Names:        names(name("fr", "Forces démocratiques de libération du Rwanda")),
		Description:  unconfirmedDRC,
	})
	x.adf = s.party(party.Party{
		Name:         "Allied Democratic Forces",
		Abbreviation: "ADF",
		Type:         party.NonStateArmedGroup,
		CountryCode:  "CD",
		Names:        names(name("fr", "Forces démocratiques alliées")),
		Description:  unconfirmedDRC,
	})

	// Central African Republic.
	x.exSeleka = s.party(party.Party{
		Name:        "Ex-Séléka factions",
		Type:        party.NonStateArmedGroup,
		CountryCode: "CF",
		Names:       names(name("fr", "Factions de l'ex-Séléka"), alias("en", "ex-Seleka")),
		Description: "In the annex for the Central African Republic around 2017 (secondary source: rassd.com, quoting the " +
			"Secretary-General).",
	})
	x.lra = s.party(party.Party{
		Name:         "Lord's Resistance Army",
		Abbreviation: "LRA",
		Type:         party.NonStateArmedGroup,
		Names:        names(name("fr", "Armée de résistance du Seigneur")),
		Description: "Added to the annex for South Sudan by S/2014/181, and in the annex for the Central African Republic around " +
			"2017 (secondary source: rassd.com).",
	})
	x.antiBalaka = s.party(party.Party{
		Name:        "Anti-balaka",
		Type:        party.NonStateArmedGroup,
		CountryCode: "CF",
		Description: "UNCONFIRMED: the reference names this group among parties in the Central African Republic from memory only " +
			"[MEMORY]; its listing in any annex is not established there. No demo act is attributed to it.",
	})

	// Iraq.
	x.isil = s.party(party.Party{
		Name:         "Islamic State in Iraq and the Levant",
		Abbreviation: "ISIL",
		Type:         party.TerroristDesignated,
		Names: names(alias("en", "Da'esh"), name("ar", "الدولة الإسلامية في العراق والشام"), alias("ar", "داعش"),
			name("fr", "État islamique en Irak et au Levant")),
		Description: "In the annex for Iraq around 2017 (secondary source: rassd.com, quoting the Secretary-General).",
	})
	return x
}
