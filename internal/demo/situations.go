package demo

import "github.com/dossier-org/dossier/internal/situation"

// situations are the demo's contexts, grouped as S/2025/389 groups them
// (REFERENCE §3.6). The reference classifies none of the conflicts legally,
// so every conflict class is left unknown. Being on the Security Council's
// agenda is inferred where the reference shows parties listed in an annex,
// or put on notice for listing, since SCR 1960 limits the annex to such
// situations.
type situations struct {
	israelPalestine, sudan, drc, car, ukraine, iraq, haiti *situation.Situation
}

const noClassification = " The reference gives no legal classification of the conflict, so none is recorded."

func (s *set) addSituations() situations {
	var x situations
	x.israelPalestine = s.situation(situation.Situation{
		Name:          "Israel and the State of Palestine",
		OnAgenda:      true,
		ConflictClass: situation.Unclassified,
		Setting:       situation.ConflictSetting,
		Description: "One of the 14 conflict settings of S/2025/389. S/2024/292 covered Israel and the occupied Palestinian " +
			"territory but listed no party from it. S/2025/389 (14 August 2025) listed Hamas in its annex for the first time and " +
			"put Israeli armed and security forces on notice in its second annex. Marked as on the Security Council's agenda " +
			"because a party from it is listed in the annex." + noClassification,
	})
	x.sudan = s.situation(situation.Situation{
		Name:          "Sudan",
		CountryCode:   "SD",
		OnAgenda:      true,
		ConflictClass: situation.Unclassified,
		Setting:       situation.ConflictSetting,
		Description: "A conflict setting in S/2025/389. The Sudanese Armed Forces and the Rapid Support Forces have been listed in " +
			"the annex since 2017 (OSRSG-SVC press release, 1 August 2023); the annex of S/2024/292 included parties in Sudan. " +
			"Marked as on the Security Council's agenda because its parties are listed." + noClassification,
	})
	x.drc = s.situation(situation.Situation{
		Name:          "Democratic Republic of the Congo",
		CountryCode:   "CD",
		OnAgenda:      true,
		ConflictClass: situation.Unclassified,
		Setting:       situation.ConflictSetting,
		Description: "A conflict setting in S/2025/389, and among the situations with the most UN-verified cases in 2024 (with " +
			"the Central African Republic, Haiti, Somalia and South Sudan). The annex of S/2024/292 included parties in the DRC; " +
			"which parties is UNCONFIRMED in the reference. In 2024, 44 of the 102 allegations of sexual exploitation and abuse " +
			"in UN peacekeeping operations and special political missions concerned the DRC. Marked as on the Security " +
			"Council's agenda because its parties are listed." + noClassification,
	})
	x.car = s.situation(situation.Situation{
		Name:          "Central African Republic",
		CountryCode:   "CF",
		OnAgenda:      true,
		ConflictClass: situation.Unclassified,
		Setting:       situation.ConflictSetting,
		Description: "A conflict setting in S/2025/389, and among the situations with the most UN-verified cases in 2024. " +
			"Ex-Séléka factions and the Lord's Resistance Army were in the annex around 2017; the annex of S/2024/292 included " +
			"parties in the Central African Republic. In 2024, 40 of the 102 allegations of sexual exploitation and abuse in UN " +
			"peacekeeping operations and special political missions concerned the Central African Republic. Marked as on the " +
			"Security Council's agenda because its parties are listed." + noClassification,
	})
	x.ukraine = s.situation(situation.Situation{
		Name:          "Ukraine",
		CountryCode:   "UA",
		OnAgenda:      true,
		ConflictClass: situation.Unclassified,
		Setting:       situation.ConflictSetting,
		Description: "A conflict setting in S/2025/389, also covered by S/2024/292, which listed no Russian party. S/2025/389 put " +
			"Russian armed and security forces and affiliated armed groups on notice for possible listing, for sexual violence " +
			"against detainees, mainly Ukrainian prisoners of war. Marked as on the Security Council's agenda because a party " +
			"from it was put on notice for listing. The reference speaks of prisoners of war but does not classify the " +
			"conflict, so no classification is recorded.",
	})
	x.iraq = s.situation(situation.Situation{
		Name:          "Iraq",
		CountryCode:   "IQ",
		OnAgenda:      true,
		ConflictClass: situation.Unclassified,
		Setting:       situation.PostConflictSetting,
		Description: "One of the 4 post-conflict settings of S/2025/389. ISIL (Da'esh) was in the annex around 2017, and the annex " +
			"of S/2024/292 included parties in Iraq. Marked as on the Security Council's agenda because its parties are listed." +
			noClassification,
	})
	x.haiti = s.situation(situation.Situation{
		Name:          "Haiti",
		CountryCode:   "HT",
		OnAgenda:      true,
		ConflictClass: situation.Unclassified,
		Setting:       situation.OtherConcern,
		Description: "One of the 3 other situations of concern of S/2025/389, and among the situations with the most UN-verified " +
			"cases in 2024. The annex of S/2024/292 included parties in Haiti, which the reference does not name; so although " +
			"the report groups Haiti apart from the conflict settings, it is marked as on the Security Council's agenda." +
			noClassification,
	})
	return x
}
