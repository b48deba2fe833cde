package demo

import (
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/source"
)

// The reference describes the other situations only at the level of a
// report: a party listed or put on notice for a reporting period, a count
// across all situations. These records stand for exactly that — no place,
// date, form or victim finer than the source gives — so that filters and
// comparisons across situations have something true to work on.

const (
	noticeReference = "second annex (parties put on notice)"
	wholePeriod     = " The reference gives no dates or places for individual acts; the record's date is the report's reporting period."
)

func (s *set) addOtherSituations(sits situations, ps parties, src sources) {
	year := func(y string) record.Date { return record.Date{Start: y, Precision: record.DateYear} }
	detainee := func() incident.Victim {
		return s.synthetic(incident.UnknownSex, incident.UnknownAge, incident.Detainee)
	}

	// Israeli detention settings: the notice annex of S/2025/389.
	israeliNotice := by(ps.israeliForces, "Named in the notice annex of S/2025/389: put on notice for potential listing, not listed.")
	genital := act(incident.GenitalViolence, detainee(), "Genital violence in detention settings.",
		[]string{"sg:genital violence"}, israeliNotice)
	nudity := act(incident.ForcedNudity, detainee(), "Prolonged forced nudity in detention settings.",
		[]string{"sg:prolonged forced nudity"}, israeliNotice)
	strip := act(incident.ForcedNudity, detainee(), "Abusive strip searches in detention settings.",
		[]string{"sg:abusive strip searches"}, israeliNotice)
	noticeNote := "Certainty: \"credible information\"; \"significant concerns of patterns of certain forms of sexual violence\" " +
		"(notice for potential listing, not a listing). Denial of access makes a definitive determination on patterns difficult."
	s.incident(incident.Incident{
		Title:       "Sexual violence against Palestinian detainees in Israeli detention settings, 2024",
		SituationID: sits.israelPalestine.ID,
		Summary: "The Secretary-General put Israeli armed and security forces on notice for potential listing in the next " +
			"reporting cycle (letter of 11 August 2025 to Israel's ambassador; second annex of S/2025/389), citing \"significant " +
			"concerns of patterns of certain forms of sexual violence\" and credible information of violations against " +
			"Palestinians in several prisons, a detention centre and a military base. The notice annex names genital violence, " +
			"prolonged forced nudity and abusive strip searches in detention settings. The letter says denial of access makes a " +
			"definitive determination on patterns, trends and systematicity difficult." + wholePeriod,
		Place:   incident.Place{Name: "Several prisons, a detention centre and a military base (not named in the reference)"},
		Date:    year("2024"),
		Context: incident.Detention,
		Status:  incident.UnderReview,
		Acts:    []incident.Act{genital, nudity, strip},
		Information: []incident.InformationLink{
			link(src.sg2025, &genital, source.InvestigationBody, source.Medium, noticeReference, noticeNote),
			link(src.sg2025, &nudity, source.InvestigationBody, source.Medium, noticeReference, noticeNote),
			link(src.sg2025, &strip, source.InvestigationBody, source.Medium, noticeReference, noticeNote),
			link(src.sgLetterIsrael, nil, source.InvestigationBody, source.Medium, "", noticeNote),
		},
	})

	// Ukraine: the notice annex of S/2025/389.
	russianNotice := by(ps.russianForces, "Named in the notice annex of S/2025/389: put on notice for possible listing, not listed.")
	electrocution := act(incident.GenitalViolence, detainee(), "Genital electrocution of detainees, mainly Ukrainian prisoners of war.",
		[]string{"sg:genital electrocution"}, russianNotice)
	stripping := act(incident.ForcedNudity, detainee(), "Forced stripping and prolonged nudity of detainees, mainly Ukrainian prisoners of war.",
		[]string{"sg:forced stripping", "sg:prolonged nudity"}, russianNotice)
	ukraineNote := "Put on notice for possible listing in the next report; the reference gives no certainty wording for this notice."
	s.incident(incident.Incident{
		Title:       "Sexual violence against Ukrainian prisoners of war in detention, 2024",
		SituationID: sits.ukraine.ID,
		Summary: "S/2025/389 put Russian armed and security forces and affiliated armed groups on notice for possible listing, for " +
			"sexual violence against detainees, mainly Ukrainian prisoners of war, in 50 official and 22 unofficial detention " +
			"facilities in Ukraine and Russia. The acts described are genital electrocution, beatings and burns, forced " +
			"stripping and prolonged nudity; beatings and burns are not recorded as acts of sexual violence, since the reference " +
			"does not say they were sexual." + wholePeriod,
		Place:   incident.Place{Name: "50 official and 22 unofficial detention facilities in Ukraine and Russia"},
		Date:    year("2024"),
		Context: incident.Detention,
		Status:  incident.UnderReview,
		Acts:    []incident.Act{electrocution, stripping},
		Information: []incident.InformationLink{
			link(src.sg2025, &electrocution, source.InvestigationBody, source.Medium, noticeReference, ukraineNote),
			link(src.sg2025, &stripping, source.InvestigationBody, source.Medium, noticeReference, ukraineNote),
		},
	})

	// Sudan: the annex listing of the SAF and the RSF.
	listingForm := "The listing criterion, \"patterns of rape or other forms of sexual violence\", does not say which forms; " +
		"recorded under the residual type."
	saf := act(incident.OtherComparableGravity, s.synthetic(incident.UnknownSex, incident.UnknownAge, incident.UnknownStatus),
		listingForm, []string{"annex:patterns of rape or other forms of sexual violence"},
		by(ps.saf, "Listed in the annex since 2017 (OSRSG-SVC press release, 1 August 2023)."))
	rsf := act(incident.OtherComparableGravity, s.synthetic(incident.UnknownSex, incident.UnknownAge, incident.UnknownStatus),
		listingForm, []string{"annex:patterns of rape or other forms of sexual violence"},
		by(ps.rsf, "Listed in the annex since 2017 (OSRSG-SVC press release, 1 August 2023)."))
	listingNote := "Standard: \"credibly suspected of committing or being responsible for patterns of rape or other forms of " +
		"sexual violence\" (SCR 1960). That this annex lists the party follows from the press release of 1 August 2023 " +
		"(\"listed since 2017\"); the reference does not transcribe the annex."
	s.incident(incident.Incident{
		Title:       "Patterns of sexual violence for which the SAF and the RSF are listed, Sudan, 2022",
		SituationID: sits.sudan.ID,
		Summary: "The Sudanese Armed Forces and the Rapid Support Forces are listed in the annex of the Secretary-General's report " +
			"as parties credibly suspected of committing or being responsible for patterns of rape or other forms of sexual " +
			"violence. The SRSG-SVC's press release of 1 August 2023 says both have been listed since 2017, so both stand in the " +
			"annex of S/2023/413, which covers 2022. In the same press release the SRSG-SVC asked the RSF to issue a formal " +
			"undertaking condemning conflict-related sexual violence and committing to prevention measures. This record stands " +
			"for the pattern the listing names, not for a single event: the reference gives no place, date, form or count below " +
			"the situation and the reporting period.",
		Place:   incident.Place{Name: "Sudan", Country: "SD"},
		Date:    year("2022"),
		Context: incident.UnknownContext,
		Status:  incident.UnderReview,
		Acts:    []incident.Act{saf, rsf},
		Information: []incident.InformationLink{
			link(src.sg2023, &saf, source.InvestigationBody, source.High, "annex", listingNote),
			link(src.sg2023, &rsf, source.InvestigationBody, source.High, "annex", listingNote),
			link(src.srsgSudan, nil, source.Documentary, source.High, "",
				"States that the SAF and the RSF have been listed since 2017; asks the RSF for a unilateral communiqué."),
		},
	})

	// Democratic Republic of the Congo: UN-verified cases of 2024.
	drc := act(incident.OtherComparableGravity, s.synthetic(incident.UnknownSex, incident.UnknownAge, incident.UnknownStatus),
		"Conflict-related sexual violence verified by the UN; the reference does not break the DRC's cases down by form.",
		[]string{"un:conflict-related sexual violence"},
		unidentified("Not attributed in the reference. Parties in the DRC (FARDC, PNC, M23, FDLR, ADF and others) are named "+
			"there from memory only (UNCONFIRMED), so none is named here."))
	s.incident(incident.Incident{
		Title:       "UN-verified conflict-related sexual violence in the Democratic Republic of the Congo, 2024",
		SituationID: sits.drc.ID,
		Summary: "S/2025/389 reports more than 4,600 UN-verified cases of conflict-related sexual violence in 2024 across 21 " +
			"countries, and names the DRC among the situations with the most cases, with the Central African Republic, Haiti, " +
			"Somalia and South Sudan. The reference gives no count, place, date or perpetrator for the DRC's cases; the annex of " +
			"S/2024/292 included parties in the DRC, but which ones is UNCONFIRMED there, so no party is named. Across all " +
			"situations women accounted for 92% of victims, victims were aged 1 to 75, and sexual violence against children " +
			"rose by 35%. This record stands for the verified cases as a whole, not for a single event.",
		Place:   incident.Place{Name: "Democratic Republic of the Congo", Country: "CD"},
		Date:    year("2024"),
		Context: incident.UnknownContext,
		Status:  incident.Verified,
		Acts:    []incident.Act{drc},
		Information: []incident.InformationLink{
			link(src.sg2025, &drc, source.InvestigationBody, source.High, "",
				"Certainty: UN-verified (monitoring, analysis and reporting arrangements). The DRC is among the situations with the most cases."),
			link(src.unNews, nil, source.Documentary, source.Medium, "", "Reports the figures of S/2025/389."),
		},
	})

	// Sexual exploitation and abuse by UN personnel, 2024.
	seaPerpetrator := unidentified("UN personnel in peacekeeping operations and special political missions; the reference gives " +
		"no breakdown of victims by mission, personnel category or nationality.")
	seaTags := []string{"sea:sexual exploitation and abuse"}
	adults := act(incident.OtherComparableGravity, group(98, incident.UnknownSex, incident.Adult, incident.UnknownStatus),
		"Counted group from the source: the 98 adult victims of the allegations of 2024. The reference does not break the "+
			"allegations down by type; recorded under the residual type.", seaTags, seaPerpetrator)
	children := act(incident.OtherComparableGravity, group(27, incident.UnknownSex, incident.Child, incident.UnknownStatus),
		"Counted group from the source: the 27 child victims of the allegations of 2024. The reference does not break the "+
			"allegations down by type; recorded under the residual type.", seaTags, seaPerpetrator)
	seaNote := "Allegations received, not findings: the reference gives no investigation outcomes. Figures as reported by the " +
		"Associated Press (19 March 2025)."
	s.incident(incident.Incident{
		Title: "Allegations of sexual exploitation and abuse by UN personnel in peacekeeping operations and special political " +
			"missions, reported for 2024",
		Summary: "The Secretary-General's report on special measures for protection from sexual exploitation and abuse, released " +
			"on 18 March 2025, counts 102 allegations for peacekeeping operations and special political missions in 2024 (the " +
			"third time in ten years above 100), with 125 victims: 98 adults and 27 children. The DRC (44) and the Central " +
			"African Republic (40) account for 82% of the allegations; others concern South Sudan and Lebanon, and special " +
			"political missions in Haiti, Colombia and Afghanistan. 65 allegations involved paternity or child-support claims. " +
			"Agencies, funds and programmes (190 allegations) and implementing partners (382) are not counted here. The " +
			"reference gives no breakdown by type, personnel category or outcome, and allegations reported in a year can " +
			"concern earlier events (68 of the 100 allegations of 2023 concerned incidents more than two years before), so the " +
			"date is unknown and no single situation is named.",
		Place:   incident.Place{Name: "UN peacekeeping operations and special political missions (several countries)"},
		Date:    record.Date{Precision: record.DateUnknown},
		Context: incident.PeaceOperation,
		Status:  incident.UnderReview,
		Acts:    []incident.Act{adults, children},
		Information: []incident.InformationLink{
			link(src.sea2024, &adults, source.InvestigationBody, source.High, "", seaNote),
			link(src.sea2024, &children, source.InvestigationBody, source.High, "", seaNote),
		},
	})
}
