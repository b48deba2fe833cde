package demo

import (
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/source"
)

// The 7 October 2023 attacks and the hostages (REFERENCE §3.7, §4 and case
// B). Each source's finding is its own act with its own attribution: the
// SRSG-SVC mission attributed nothing, the Council of the EU named three
// entities without assigning sites, Amnesty International holds the Qassam
// Brigades chiefly responsible, and S/2025/389 lists Hamas. Status follows
// the rule in the package documentation.

const (
	missionNoAttribution = "Not attributed: the SRSG-SVC mission was not investigative and drew no conclusion on attribution " +
		"to specific armed groups."
	euAttribution = "Listed by the Council of the EU for sexual and gender-based violence on 7 October 2023; the Council does " +
		"not assign acts or sites to individual entities."
	amnestyScope     = " Amnesty's attribution covers the violations of 7 October as a whole, not each act."
	coiScope         = " The Commission's attribution covers the war crimes of 7 October as a whole, not each act."
	missionRGTB      = "Certainty: \"reasonable grounds to believe\" (the mission's primary standard). The mission was not investigative, drew no conclusion on attribution, and met no survivor."
	missionCircum    = "Certainty: credible circumstantial information possibly indicating these acts, short of a finding that they occurred. No attribution."
	euDetermination  = "The Council's determination under the sanctions standard, not a criminal finding: fighters \"committed widespread sexual and gender-based violence in a systematic manner, using it as a weapon of war\"."
	amnestyFinding   = "Amnesty's legal finding: rape and other forms of sexual violence as crimes against humanity, committed \"as part of a widespread and systematic attack against a civilian population\". Obstacles stated: survivors and witnesses reluctant to speak; limited forensic evidence."
	southernDistrict = "Southern District"
)

func (s *set) addOctober7(sits situations, ps parties, src sources) {
	oct7 := record.Date{Start: "2023-10-07", Precision: record.DateDay}
	unknownVictim := func() incident.Victim {
		return s.synthetic(incident.UnknownSex, incident.UnknownAge, incident.UnknownStatus)
	}
	euPerpetrators := func() []incident.Perpetrator {
		return []incident.Perpetrator{by(ps.qassam, euAttribution), by(ps.nukhba, euAttribution), by(ps.alQuds, euAttribution)}
	}
	amnestyPerpetrators := func() []incident.Perpetrator {
		return []incident.Perpetrator{
			by(ps.qassam, "Held chiefly responsible by Amnesty International."+amnestyScope),
			by(ps.alQuds, "Named by Amnesty International among the perpetrators."+amnestyScope),
			by(ps.alAqsa, "Named by Amnesty International among the perpetrators, to a lesser extent."+amnestyScope),
			by(ps.civilians, "Amnesty International names hundreds of Palestinians in civilian clothing among the perpetrators."+amnestyScope),
		}
	}
	// missionSite is one of the three locations where the SRSG-SVC mission
	// found reasonable grounds to believe that rape and gang rape occurred.
	missionSite := func() incident.Act {
		return act(incident.Rape, unknownVictim(),
			"Conflict-related sexual violence including rape and gang rape, which the mission found at three locations, this "+
				"among them; the reference does not say which forms occurred at which location.",
			[]string{"osrsg-svc:rape and gang rape"}, unidentified(missionNoAttribution))
	}
	missionSummary := "The SRSG-SVC mission report of 4 March 2024 found reasonable grounds to believe that conflict-related " +
		"sexual violence, including rape and gang rape, occurred on 7 October 2023 in at least three locations: the Nova " +
		"festival site and its surroundings, Road 232, and Kibbutz Re'im. The mission was not investigative and drew no " +
		"conclusion on attribution to specific armed groups."

	// The Nova festival site.
	novaMission := missionSite()
	novaEU := act(incident.OtherComparableGravity, unknownVictim(),
		"Sexual and gender-based violence that the Council of the EU cites for the site it names \"Re'im/Nova\"; the Council "+
			"does not tie its listed acts to sites.",
		[]string{"eu:sexual and gender-based violence"}, euPerpetrators()...)
	s.incident(incident.Incident{
		Title:       "Sexual violence at the Nova festival site and its surroundings, 7 October 2023",
		SituationID: sits.israelPalestine.ID,
		Summary: missionSummary + " The Council of the EU, listing the Qassam Brigades, the Nukhba Force and the Al-Quds " +
			"Brigades on 12 April 2024, names \"Re'im/Nova\" among the sites of the sexual and gender-based violence it cites. " +
			"The record gives no coordinates: the reference does not locate the festival site.",
		Place:   incident.Place{Name: "Nova festival site and surroundings, near Kibbutz Re'im", AdminArea: southernDistrict, Country: "IL"},
		Date:    oct7,
		Context: incident.DuringAttack,
		Status:  incident.Verified,
		Acts:    []incident.Act{novaMission, novaEU},
		Information: []incident.InformationLink{
			link(src.pattenMission, &novaMission, source.InvestigationBody, source.High, "", missionRGTB),
			link(src.politico, &novaMission, source.Documentary, source.Medium, "", "News report of the mission's findings."),
			link(src.euDecision, &novaEU, source.InvestigationBody, source.High, "", euDetermination+" The Council names the site \"Re'im/Nova\"."),
		},
	})

	// Road 232.
	road232 := missionSite()
	s.incident(incident.Incident{
		Title:       "Sexual violence on Road 232, 7 October 2023",
		SituationID: sits.israelPalestine.ID,
		Summary: missionSummary + " Among the sources in this record only the mission report places sexual violence on Road 232. " +
			"The road runs for many kilometres, so the record gives no coordinates.",
		Place:   incident.Place{Name: "Road 232", AdminArea: southernDistrict, Country: "IL"},
		Date:    oct7,
		Context: incident.DuringAttack,
		Status:  incident.UnderReview,
		Acts:    []incident.Act{road232},
		Information: []incident.InformationLink{
			link(src.pattenMission, &road232, source.InvestigationBody, source.High, "", missionRGTB),
			link(src.politico, &road232, source.Documentary, source.Medium, "", "News report of the mission's findings."),
		},
	})

	// Kibbutz Re'im.
	reim := missionSite()
	s.incident(incident.Incident{
		Title:       "Sexual violence at Kibbutz Re'im, 7 October 2023",
		SituationID: sits.israelPalestine.ID,
		Summary: missionSummary + " The Council of the EU names \"Re'im/Nova\" as one site; since that may mean the festival " +
			"site near the kibbutz, the Council's findings are recorded with the Nova festival site, not here. Coordinates are " +
			"those of the kibbutz.",
		Place: incident.Place{Name: "Kibbutz Re'im", AdminArea: southernDistrict, Country: "IL",
			Latitude: coord(31.386), Longitude: coord(34.460), Precision: incident.Locality},
		Date:    oct7,
		Context: incident.DuringAttack,
		Status:  incident.UnderReview,
		Acts:    []incident.Act{reim},
		Information: []incident.InformationLink{
			link(src.pattenMission, &reim, source.InvestigationBody, source.High, "", missionRGTB),
		},
	})

	// Kfar Aza and Nahal Oz: sites the Council of the EU names.
	euSite := func(title, place string, lat, lon float64) {
		a := act(incident.OtherComparableGravity, unknownVictim(),
			"Sexual and gender-based violence that the Council of the EU cites for this site; the Council does not tie its "+
				"listed acts to sites.",
			[]string{"eu:sexual and gender-based violence"}, euPerpetrators()...)
		s.incident(incident.Incident{
			Title:       title,
			SituationID: sits.israelPalestine.ID,
			Summary: "The Council of the EU, listing the Qassam Brigades, the Nukhba Force and the Al-Quds Brigades on 12 April " +
				"2024 for sexual and gender-based violence on 7 October 2023, names " + place + " among the sites (Kfar Aza, " +
				"Nahal Oz, Re'im/Nova). It cites rape and subsequent murder of female minors, mutilation of corpses, genital " +
				"mutilation and targeted abduction of women and girls, without tying these acts to sites; they are recorded in " +
				"the record of findings not tied to a site. No UN finding in the reference names " + place + ": S/2025/389 " +
				"speaks of at least six locations without naming them. Coordinates are those of the kibbutz.",
			Place: incident.Place{Name: place, AdminArea: southernDistrict, Country: "IL",
				Latitude: coord(lat), Longitude: coord(lon), Precision: incident.Locality},
			Date:    oct7,
			Context: incident.DuringAttack,
			Status:  incident.UnderReview,
			Acts:    []incident.Act{a},
			Information: []incident.InformationLink{
				link(src.euDecision, &a, source.InvestigationBody, source.High, "", euDetermination),
			},
		})
	}
	euSite("Sexual violence at Kibbutz Kfar Aza, 7 October 2023", "Kibbutz Kfar Aza", 31.484, 34.534)
	euSite("Sexual violence at Kibbutz Nahal Oz, 7 October 2023", "Kibbutz Nahal Oz", 31.473, 34.497)

	// Findings the sources do not tie to a site.
	sgLocations := act(incident.OtherComparableGravity, unknownVictim(),
		"Sexual violence committed during the attacks in at least six locations, which the report does not name.",
		[]string{"sg:sexual violence in at least six locations"},
		by(ps.hamas, "Listed in the annex of S/2025/389 on this basis; the report attributes to Hamas, not to a unit."))
	bodies := act(incident.OtherComparableGravity, s.synthetic(incident.UnknownSex, incident.UnknownAge, incident.Deceased),
		"A pattern of naked or partly naked bodies, bound and shot, which \"may be indicative\" of sexual violence.",
		[]string{"osrsg-svc:may be indicative of sexual violence", "osrsg-svc:naked or partly naked bodies bound and shot"},
		unidentified(missionNoAttribution))
	missionMutilation := act(incident.SexualMutilation, unknownVictim(),
		"Genital mutilation, which credible circumstantial information possibly indicates.",
		[]string{"osrsg-svc:genital mutilation"}, unidentified(missionNoAttribution))
	missionTorture := act(incident.SexualTorture, unknownVictim(),
		"Sexualized torture, which credible circumstantial information possibly indicates (with cruel, inhuman or degrading treatment).",
		[]string{"osrsg-svc:sexualized torture"}, unidentified(missionNoAttribution))
	corpse1 := act(incident.SexualViolenceOnCorpses, s.synthetic(incident.UnknownSex, incident.UnknownAge, incident.Deceased),
		"The first of two reported incidents of rape of corpses, from witness accounts.",
		[]string{"osrsg-svc:rape of corpses"}, unidentified(missionNoAttribution))
	corpse2 := act(incident.SexualViolenceOnCorpses, s.synthetic(incident.UnknownSex, incident.UnknownAge, incident.Deceased),
		"The second of two reported incidents of rape of corpses, from witness accounts.",
		[]string{"osrsg-svc:rape of corpses"}, unidentified(missionNoAttribution))
	euMinors := act(incident.Rape, s.synthetic(incident.Female, incident.Child, incident.Deceased),
		"Rape and subsequent murder of female minors, as the Council of the EU cites it.",
		[]string{"eu:rape and subsequent murder of female minors"}, euPerpetrators()...)
	euGenital := act(incident.SexualMutilation, unknownVictim(),
		"Genital mutilation, as the Council of the EU cites it.",
		[]string{"eu:genital mutilation"}, euPerpetrators()...)
	euCorpses := act(incident.SexualViolenceOnCorpses, s.synthetic(incident.UnknownSex, incident.UnknownAge, incident.Deceased),
		"Mutilation of corpses, which the Council of the EU cites among the acts of sexual and gender-based violence.",
		[]string{"eu:mutilation of corpses"}, euPerpetrators()...)
	coiPatterns := act(incident.OtherComparableGravity, unknownVictim(),
		"Indications and patterns of sexual violence and gender-based crimes; women's bodies used \"as victory trophies\". The "+
			"Commission \"was not able to reach a definitive conclusion with regards to rape\".",
		[]string{"coi:indications and patterns of sexual violence and gender-based crimes", "coi:outrages upon personal dignity"},
		by(ps.qassam, "Members of the military wing of Hamas, per the Commission of Inquiry."+coiScope),
		unidentified("Members of the military wings of six other Palestinian armed groups, not named in the reference (Commission of Inquiry)."+coiScope),
		by(ps.civilians, "Some Palestinian civilians, per the Commission of Inquiry."+coiScope))
	amnestyRape := act(incident.Rape, unknownVictim(), "Rape during the attacks, as Amnesty International documents it.",
		[]string{"amnesty:rape"}, amnestyPerpetrators()...)
	amnestyGang := act(incident.GangRape, unknownVictim(), "Gang rape during the attacks, as Amnesty International documents it.",
		[]string{"amnesty:gang rape"}, amnestyPerpetrators()...)
	amnestyAssault := act(incident.SexualAssault, unknownVictim(), "Sexual assault during the attacks, as Amnesty International documents it.",
		[]string{"amnesty:sexual assault"}, amnestyPerpetrators()...)
	s.incident(incident.Incident{
		Title:       "Sexual violence during the 7 October 2023 attacks: findings not tied to one site",
		SituationID: sits.israelPalestine.ID,
		Summary: "Findings on sexual violence during the 7 October 2023 attacks that the sources do not tie to a single site. " +
			"S/2025/389 found clear and convincing information that sexual violence was committed in at least six locations, " +
			"and listed Hamas. The SRSG-SVC mission (4 March 2024) found a pattern of naked or partly naked bodies, bound and " +
			"shot, that \"may be indicative\" of sexual violence; credible circumstantial information possibly indicating genital " +
			"mutilation, sexualized torture and cruel, inhuman or degrading treatment; and two reported incidents of rape of " +
			"corpses. It found some widely reported allegations unfounded or unverifiable. The Council of the EU cites rape and " +
			"subsequent murder of female minors, mutilation of corpses, genital mutilation and the targeted abduction of women " +
			"and girls (the abduction is not recorded as an act of sexual violence). The Commission of Inquiry found indications " +
			"and patterns of sexual violence and gender-based crimes, but was not able to reach a definitive conclusion on rape. " +
			"Amnesty International documented rape, gang rape and sexual assault. The sources attribute differently, so each " +
			"finding is its own act with its source's attribution. UN Women relayed accounts; a UN Special Rapporteur disputes " +
			"that any independent investigation has found rape.",
		Place:   incident.Place{Name: "Several locations in southern Israel", AdminArea: southernDistrict, Country: "IL"},
		Date:    oct7,
		Context: incident.DuringAttack,
		Status:  incident.Verified,
		Acts: []incident.Act{sgLocations, bodies, missionMutilation, missionTorture, corpse1, corpse2, euMinors, euGenital,
			euCorpses, coiPatterns, amnestyRape, amnestyGang, amnestyAssault},
		Information: []incident.InformationLink{
			link(src.sg2025, &sgLocations, source.InvestigationBody, source.High, "annex",
				"Certainty: \"clear and convincing information\" (UN-documented information for 2024)."),
			link(src.pattenMission, &bodies, source.InvestigationBody, source.Medium, "",
				"Certainty: the pattern \"may be indicative\" of sexual violence; not a finding of sexual violence. No attribution."),
			link(src.pattenMission, &missionMutilation, source.InvestigationBody, source.Medium, "", missionCircum),
			link(src.pattenMission, &missionTorture, source.InvestigationBody, source.Medium, "", missionCircum),
			link(src.pattenMission, &corpse1, source.InvestigationBody, source.Medium, "",
				"Two reported incidents of rape of corpses, from witness accounts. No attribution."),
			link(src.pattenMission, &corpse2, source.InvestigationBody, source.Medium, "",
				"Two reported incidents of rape of corpses, from witness accounts. No attribution."),
			link(src.euDecision, &euMinors, source.InvestigationBody, source.High, "", euDetermination),
			link(src.euDecision, &euGenital, source.InvestigationBody, source.High, "", euDetermination),
			link(src.euDecision, &euCorpses, source.InvestigationBody, source.High, "", euDetermination),
			link(src.coi, &coiPatterns, source.InvestigationBody, source.High, "A/HRC/56/26; A/HRC/56/CRP.3; A/HRC/56/CRP.4",
				"Standard: \"reasonable grounds to believe\". \"Was not able to reach a definitive conclusion with regards to rape.\""),
			link(src.amnesty, &amnestyRape, source.InvestigationBody, source.High, "", amnestyFinding),
			link(src.amnesty, &amnestyGang, source.InvestigationBody, source.High, "", amnestyFinding),
			link(src.amnesty, &amnestyAssault, source.InvestigationBody, source.High, "", amnestyFinding),
			link(src.hrw, nil, source.InvestigationBody, source.UnknownReliability, "",
				"Finds war crimes and crimes against humanity on 7 October; sexual and gender-based violence is covered in a "+
					"questions-and-answers section whose wording the reference could not retrieve (UNCONFIRMED), so no act cites it."),
			link(src.unWomenDec, nil, source.Hearsay, source.Low, "",
				"\"Alarmed by numerous accounts of gender-based atrocities and sexual violence\": accounts, no finding. Names Hamas."),
			link(src.doj, nil, source.Documentary, source.Medium, "",
				"No standalone sexual-violence count. The Attorney General's statement says Hamas fighters \"weaponised sexual "+
					"violence against women\". Standard: criminal complaint (probable cause); the defendants are presumed innocent."),
			link(src.dinah, nil, source.Documentary, source.UnknownReliability, "",
				"Compiles testimony from survivors, 17 eyewitnesses and 15 released hostages to support future proceedings; own methodology."),
			link(src.alsalem, nil, source.UnknownConnection, source.UnknownReliability, "",
				"Disputes the findings: \"No independent investigation has found that rape occurred on October 7.\" A personal statement."),
			link(src.coalitionLetter, nil, source.Documentary, source.UnknownReliability, "",
				"Cites evidence from Human Rights Watch, EU sanctions and US Department of Justice charges identifying rape, "+
					"sexualised torture and gender-based violence on 7 October. An advocacy letter relaying others' findings."),
		},
	})

	// The hostages.
	hostage := func() incident.Victim { return s.synthetic(incident.UnknownSex, incident.UnknownAge, incident.Hostage) }
	missionHostageScope := "Some hostages, per the SRSG-SVC mission; it may be ongoing."
	captiveRape := act(incident.Rape, hostage(), "Rape in captivity. "+missionHostageScope,
		[]string{"osrsg-svc:rape"}, unidentified(missionNoAttribution))
	captiveTorture := act(incident.SexualTorture, hostage(), "Sexualized torture in captivity. "+missionHostageScope,
		[]string{"osrsg-svc:sexualized torture"}, unidentified(missionNoAttribution))
	captiveCIDT := act(incident.OtherComparableGravity, hostage(),
		"Sexualized cruel, inhuman or degrading treatment in captivity. "+missionHostageScope,
		[]string{"osrsg-svc:sexualized cruel inhuman or degrading treatment"}, unidentified(missionNoAttribution))
	captiveSG := act(incident.OtherComparableGravity, hostage(),
		"Various forms of sexual violence in captivity suffered by some hostages taken to Gaza.",
		[]string{"sg:various forms of sexual violence in captivity"},
		by(ps.hamas, "Listed in the annex of S/2025/389 on this basis; the report attributes to Hamas, not to a unit."))
	captiveAmnesty := act(incident.Rape, hostage(),
		"Rape and other sexual violence against hostages in captivity, as Amnesty International documents it; the reference "+
			"lists rape, gang rape and sexual assault for the attacks and for captivity together, without separating them.",
		[]string{"amnesty:rape gang rape and sexual assault against hostages in captivity"}, amnestyPerpetrators()...)
	missionCCI := "Certainty: \"clear and convincing information\" that some hostages suffered conflict-related sexual violence; " +
		"\"reasonable grounds to believe\" that it may be ongoing. No attribution."
	s.incident(incident.Incident{
		Title:       "Sexual violence against hostages held in Gaza, from 7 October 2023",
		SituationID: sits.israelPalestine.ID,
		Summary: "People taken from Israel to Gaza on 7 October 2023 and held hostage: the Commission of Inquiry counts 252, " +
			"including 36 children; Amnesty International counts 251, 44 of them already dead. The SRSG-SVC mission found clear " +
			"and convincing information that some hostages suffered conflict-related sexual violence, including rape, " +
			"sexualized torture and sexualized cruel, inhuman or degrading treatment, and reasonable grounds to believe that it " +
			"may be ongoing. S/2025/389 found reasonable grounds to believe that some hostages suffered various forms of sexual " +
			"violence in captivity, and listed Hamas. Amnesty International documented rape, gang rape and sexual assault during " +
			"the attacks and against hostages in captivity, and found that everyone taken to Gaza was unlawfully detained as a " +
			"hostage and subjected to psychological abuse. The period ends with the reporting period of S/2025/389 (31 December " +
			"2024), the latest UN finding in the reference; the coalition letter of 25 November 2025 speaks of sexual violence " +
			"against hostages held through 2025. Places of captivity are not given, so the record has no coordinates.",
		Place:   incident.Place{Name: "Gaza", Country: "PS"},
		Date:    record.Date{Start: "2023-10-07", End: "2024-12-31", Precision: record.DateRange},
		Context: incident.Captivity,
		Status:  incident.Verified,
		Acts:    []incident.Act{captiveRape, captiveTorture, captiveCIDT, captiveSG, captiveAmnesty},
		Information: []incident.InformationLink{
			link(src.pattenMission, &captiveRape, source.InvestigationBody, source.High, "", missionCCI),
			link(src.pattenMission, &captiveTorture, source.InvestigationBody, source.High, "", missionCCI),
			link(src.pattenMission, &captiveCIDT, source.InvestigationBody, source.High, "", missionCCI),
			link(src.sg2025, &captiveSG, source.InvestigationBody, source.High, "annex",
				"Certainty: \"reasonable grounds to believe\" (UN-documented information for 2024)."),
			link(src.amnesty, &captiveAmnesty, source.InvestigationBody, source.High, "", amnestyFinding),
			link(src.coi, nil, source.InvestigationBody, source.High, "A/HRC/56/26",
				"Counts 252 hostages, including 36 children, and finds hostage-taking a war crime. The reference gives no "+
					"Commission finding on sexual violence against hostages."),
			link(src.dinah, nil, source.Documentary, source.UnknownReliability, "",
				"Includes testimony from 15 released hostages; own methodology."),
			link(src.coalitionLetter, nil, source.Documentary, source.UnknownReliability, "",
				"Speaks of sexual violence against hostages held in Gaza through 2025 and asks that Hamas be listed again, "+
					"explicitly citing it. An advocacy letter relaying others' findings."),
		},
	})
}
