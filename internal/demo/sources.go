package demo

import "github.com/dossier-org/dossier/internal/source"

// sources are the documents of REFERENCE §3, §4, §7 and the cases Dossier
// was started for. A title in quotation marks in the reference is used as
// is; otherwise the title describes the document. A URL is given only where
// the reference gives the address in full.
type sources struct {
	unWomenOct, unWomenDec     *source.Source
	pattenMission, politico    *source.Source
	euDecision                 *source.Source
	sg2023, sg2024, sg2025     *source.Source
	srsgSudan                  *source.Source
	coi, hrw, doj, amnesty     *source.Source
	sgLetterIsrael, unNews     *source.Source
	dinah, alsalem             *source.Source
	coalitionLetter, seaLetter *source.Source
	sea2024                    *source.Source
}

const (
	secretaryGeneral = "United Nations Secretary-General"
	osrsgSVC         = "Office of the Special Representative of the Secretary-General on Sexual Violence in Conflict"
)

func (s *set) addSources() sources {
	var x sources
	x.unWomenOct = s.source(source.Source{
		Kind:         source.OfficialStatement,
		Title:        "UN Women statement on Israel and the occupied Palestinian territory, 13 October 2023",
		Organisation: "UN Women",
		PublishedOn:  "2023-10-13",
		Language:     "en",
		Reliability:  source.High,
		Description: "A general statement on Israel and the occupied Palestinian territory that called for the release of hostages. " +
			"It was criticised for not naming sexual violence against Israeli women. It reports no sexual violence, so no demo " +
			"incident cites it.",
	})
	x.unWomenDec = s.source(source.Source{
		Kind:         source.OfficialStatement,
		Title:        "UN Women statement condemning the 7 October attacks, 1 December 2023",
		Organisation: "UN Women",
		PublishedOn:  "2023-12-01",
		Language:     "en",
		Reliability:  source.High,
		Description: "\"Unequivocally\" condemns Hamas's attacks of 7 October; \"alarmed by numerous accounts of gender-based atrocities " +
			"and sexual violence\". Calls for investigation and prosecution, and welcomes the Commission of Inquiry's call for " +
			"submissions and the SRSG-SVC's activation of the UN Action network. Posted on X on 2 December 2023, about eight weeks " +
			"after the attacks (media counted 57 days). It relays accounts and makes no finding.",
	})
	x.pattenMission = s.source(source.Source{
		Kind:         source.UNReport,
		Title:        "Mission Report: Official visit of the Office of the SRSG-SVC to Israel and the occupied West Bank",
		Organisation: osrsgSVC,
		PublishedOn:  "2024-03-04",
		Language:     "en",
		Reliability:  source.High,
		Description: "Report of the mission of 29 January to 14 February 2024 led by SRSG-SVC Pramila Patten, announced on 24 January " +
			"2024 as \"neither intended nor mandated to be investigative\". Method: a nine-member team; 33 meetings; 34 interviews; " +
			"4 sites visited; more than 5,000 images and about 50 hours of video reviewed, judged \"authentic and not tampered " +
			"with\". Limits stated: altered crime scenes, few forensic materials, unreliable interpretation by non-professionals, " +
			"no access to survivors; the mission met no survivor of sexual violence of 7 October. Primary standard: \"reasonable " +
			"grounds to believe\"; \"clear and convincing information\" is defined as above it and below \"beyond reasonable doubt\". " +
			"It draws no conclusion on attribution to specific armed groups, and found some widely reported allegations unfounded " +
			"or unverifiable (for example the claim about a pregnant woman and her foetus). It also received information on sexual " +
			"violence against Palestinians in detention, house raids and checkpoints. Briefed to the Security Council on 11 March " +
			"2024. Page count 24 or 17 (UNCONFIRMED).",
	})
	x.politico = s.source(source.Source{
		Kind:         source.MediaReport,
		Title:        "Politico Europe report on the SRSG-SVC mission report",
		Organisation: "Politico Europe",
		URL:          "https://politico.eu/article/un-reasonable-grounds-hamas-sexual-violence-october-attack-israel/",
		PublishedOn:  "2024-03-05",
		Language:     "en",
		Reliability:  source.Medium,
		Description:  "News report of the mission report's findings, published the day after it.",
	})
	x.euDecision = s.source(source.Source{
		Kind:           source.SanctionsDecision,
		Title:          "Council Decision (CFSP) 2024/1074 listing entities under the EU Global Human Rights Sanctions Regime",
		Organisation:   "Council of the European Union",
		DocumentSymbol: "Decision (CFSP) 2024/1074",
		PublishedOn:    "2024-04-12",
		Language:       "en",
		Reliability:    source.High,
		Description: "Adopted with Implementing Regulation (EU) 2024/1073 under the EU Global Human Rights Sanctions Regime " +
			"(Decision (CFSP) 2020/1999). Lists the Qassam Brigades (Hamas's military wing), the Nukhba Force (Hamas special " +
			"forces) and the Al-Quds Brigades (Palestinian Islamic Jihad's armed wing) for sexual and gender-based violence on 7 " +
			"October 2023: fighters \"committed widespread sexual and gender-based violence in a systematic manner, using it as a " +
			"weapon of war\". Cited acts: rape and subsequent murder of female minors, mutilation of corpses, genital mutilation, " +
			"targeted abduction of women and girls. Sites: Kfar Aza, Nahal Oz, Re'im/Nova. Measures: asset freeze, ban on making " +
			"funds available, travel ban; after this listing the regime covered 104 persons and 26 entities. A sanctions " +
			"determination, not a criminal finding.",
	})
	x.sg2023 = s.source(source.Source{
		Kind:           source.UNReport,
		Title:          "Secretary-General's annual report on conflict-related sexual violence (reporting period 2022)",
		Organisation:   secretaryGeneral,
		DocumentSymbol: "S/2023/413",
		Language:       "en",
		Reliability:    source.High,
		Description: "Covers January to December 2022: 2,455 UN-verified cases (women and girls 94%) in 20 situations. Presented at " +
			"the Security Council open debate of 14 July 2023 (9378th meeting); published in mid-2023, exact date not in the " +
			"reference. Its annex is not transcribed in the reference.",
	})
	x.srsgSudan = s.source(source.Source{
		Kind:         source.OfficialStatement,
		Title:        "SRSG-SVC press release on the Rapid Support Forces and Sudan, 1 August 2023",
		Organisation: osrsgSVC,
		PublishedOn:  "2023-08-01",
		Language:     "en",
		Reliability:  source.High,
		Description: "States that the Sudanese Armed Forces and the Rapid Support Forces have been listed in the annex since 2017, " +
			"and asks the RSF to issue a formal undertaking condemning conflict-related sexual violence and committing to " +
			"prevention measures. Read in a copy published by sudansupport.no on 2 August 2023.",
	})
	x.sg2024 = s.source(source.Source{
		Kind:           source.UNReport,
		Title:          "Secretary-General's annual report on conflict-related sexual violence (reporting period 2023)",
		Organisation:   secretaryGeneral,
		DocumentSymbol: "S/2024/292",
		Language:       "en",
		Reliability:    source.High,
		Description: "Published around 22 April 2024; covers 2023: 3,688 UN-verified cases, up 50% (the Security Council press " +
			"summary SC/15676 prints 3,888, taken as a typo: UNCONFIRMED); women and girls 95%; 21 situations including Israel, " +
			"the occupied Palestinian territory, Ukraine and Afghanistan. The annex included parties in the Central African " +
			"Republic, the DRC, Iraq, Syria, Somalia, Mali, Haiti, Nigeria and Sudan; it did not list Hamas, nor Russian forces. " +
			"The body cites the SRSG-SVC mission to Israel but notes that it was not investigative, drew no conclusions on " +
			"attribution to specific armed groups or on prevalence, and that a full investigation would be needed. Open debate " +
			"on 23 April 2024 (9614th meeting).",
	})
	x.coi = s.source(source.Source{
		Kind: source.UNReport,
		Title: "Report of the Independent International Commission of Inquiry on the Occupied Palestinian Territory, including " +
			"East Jerusalem, and Israel",
		Organisation:   "Independent International Commission of Inquiry on the Occupied Palestinian Territory, including East Jerusalem, and Israel",
		DocumentSymbol: "A/HRC/56/26",
		PublishedOn:    "2024-06-12",
		Language:       "en",
		Reliability:    source.High,
		Description: "Chaired by Navi Pillay. Advance version dated 27 May 2024; conference room papers A/HRC/56/CRP.3 and " +
			"A/HRC/56/CRP.4 dated 10 June; published 12 June and presented to the Human Rights Council on 19 June 2024. Standard: " +
			"\"reasonable grounds to believe\". Finds that on 7 October members of the military wings of Hamas and six other " +
			"Palestinian armed groups, and some Palestinian civilians, committed war crimes: intentionally directing attacks " +
			"against civilians, murder or wilful killing, torture, inhuman or cruel treatment, destroying or seizing property, " +
			"outrages upon personal dignity, and hostage-taking. Women's bodies were used \"as victory trophies\". Found indications " +
			"and patterns of sexual violence and gender-based crimes, but \"was not able to reach a definitive conclusion with " +
			"regards to rape\". Counts 252 hostages, including 36 children. Separately finds Israeli forces responsible for war " +
			"crimes and crimes against humanity, including gender persecution and sexual and gender-based violence.",
	})
	x.hrw = s.source(source.Source{
		Kind:         source.NGOReport,
		Title:        "'I Can't Erase All the Blood from My Mind': Palestinian Armed Groups' October 7 Assault on Israel",
		Organisation: "Human Rights Watch",
		PublishedOn:  "2024-07-17",
		Language:     "en",
		Reliability:  source.High,
		Description: "236 pages. Finds war crimes (summary killings, hostage-taking and others) and the crimes against humanity of " +
			"murder and wrongful imprisonment; the assault was \"designed to kill civilians and take as many people as possible " +
			"hostage\". Names the Qassam Brigades and at least four other groups, including the Al-Quds Brigades. Method: 144 " +
			"interviews (including 94 witnesses) and more than 280 photos and videos verified. Sexual and gender-based " +
			"violence is covered in a questions-and-answers section whose exact wording the reference could not retrieve " +
			"(UNCONFIRMED).",
	})
	x.doj = s.source(source.Source{
		Kind:         source.Indictment,
		Title:        "Criminal complaint against six Hamas leaders, unsealed 3 September 2024",
		Organisation: "United States Department of Justice",
		PublishedOn:  "2024-09-03",
		Language:     "en",
		Reliability:  source.Medium,
		Description: "Filed under seal in February 2024 in the Southern District of New York and unsealed on 3 September 2024. " +
			"Seven counts against Ismail Haniyeh (deceased), Yahya Sinwar, Mohammed Deif/al-Masri (deceased), Marwan Issa " +
			"(deceased), Khaled Meshaal and Ali Baraka: conspiracy to provide material support to a foreign terrorist organisation " +
			"resulting in death, conspiracy to murder US nationals, conspiracy to use weapons of mass destruction resulting in " +
			"death, and sanctions-evasion counts. No standalone sexual-violence count. Attorney General Garland's statement says " +
			"Hamas fighters \"weaponised sexual violence against women\". A criminal complaint: probable cause; the defendants are " +
			"presumed innocent.",
	})
	x.sgLetterIsrael = s.source(source.Source{
		Kind:         source.OfficialStatement,
		Title:        "Letter of the Secretary-General to Israel's ambassador putting Israeli forces on notice, 11 August 2025",
		Organisation: secretaryGeneral,
		PublishedOn:  "2025-08-11",
		Language:     "en",
		Reliability:  source.High,
		Description: "Addressed to Ambassador Danny Danon. Puts Israeli armed and security forces \"on notice for potential listing " +
			"in the next reporting cycle\", citing \"significant concerns of patterns of certain forms of sexual violence\" and " +
			"credible information of violations against Palestinians in several prisons, a detention centre and a military base. " +
			"Says denial of access makes a definitive determination on patterns, trends and systematicity difficult. Known from " +
			"CNN's report of 12 August 2025 and Israel National News.",
	})
	x.sg2025 = s.source(source.Source{
		Kind:           source.UNReport,
		Title:          "Secretary-General's annual report on conflict-related sexual violence (reporting period 2024)",
		Organisation:   secretaryGeneral,
		DocumentSymbol: "S/2025/389",
		PublishedOn:    "2025-08-14",
		Language:       "en",
		Reliability:    source.High,
		Description: "The 16th annual report; covers 2024. More than 4,600 UN-verified cases, up 25%; women 92%; victims aged 1 to " +
			"75; sexual violence against children up 35%; most cases in the Central African Republic, the DRC, Haiti, Somalia and " +
			"South Sudan. 21 countries: 14 conflict settings, 4 post-conflict settings, 3 other situations of concern. 63 State and " +
			"non-State parties in the annex. Lists Hamas for the first time, on reasonable grounds to believe that some hostages " +
			"taken to Gaza suffered various forms of sexual violence in captivity and clear and convincing information that " +
			"sexual violence was committed during the 7 October 2023 attacks in at least six locations. A second annex, new in " +
			"this report, puts parties on notice for possible listing in the next report: Israeli armed and security forces " +
			"(detention settings: genital violence, prolonged forced nudity, abusive strip searches) and Russian armed and " +
			"security forces and affiliated armed groups (mainly Ukrainian prisoners of war, in 50 official and 22 unofficial " +
			"detention facilities in Ukraine and Russia).",
	})
	x.unNews = s.source(source.Source{
		Kind:         source.MediaReport,
		Title:        "UN News story on the Secretary-General's 2025 report on conflict-related sexual violence",
		Organisation: "UN News",
		URL:          "https://news.un.org/en/story/2025/08/1165650",
		Language:     "en",
		Reliability:  source.Medium,
		Description:  "Reports the figures of S/2025/389. Published in August 2025; the exact date is not in the reference.",
	})
	x.dinah = s.source(source.Source{
		Kind:         source.NGOReport,
		Title:        "Dinah Project report, 8 July 2025",
		Organisation: "Dinah Project (Israeli legal experts)",
		PublishedOn:  "2025-07-08",
		Language:     "en",
		Reliability:  source.UnknownReliability,
		Description: "Compiles testimony from survivors, 17 eyewitnesses and 15 released hostages to support future proceedings, by " +
			"its own methodology. Known to the reference only through Haaretz as quoted by jfjfp.com; not assessed.",
	})
	x.alsalem = s.source(source.Source{
		Kind:         source.OpenSourcePost,
		Title:        "Post on X by the UN Special Rapporteur on violence against women and girls, 14 November 2025",
		Organisation: "UN Special Rapporteur on violence against women and girls (Reem Alsalem)",
		PublishedOn:  "2025-11-14",
		Language:     "en",
		Reliability:  source.UnknownReliability,
		Description: "\"No independent investigation has found that rape occurred on October 7.\" A personal statement by the " +
			"Special Rapporteur (appointed 2021). Earlier statements: an interview around 5 March 2024 saying she could not rely " +
			"only on digital material and had received no information; a post of 24 March 2024 referring to the alarm she and " +
			"others raised in February 2024 over accounts of rape of Palestinian women by Israeli forces. On 15 November 2025 " +
			"Israel's ambassador Danny Danon called for her removal. The claim that she called rape reports \"disinformation\" " +
			"four days after 7 October is UNCONFIRMED.",
	})
	x.coalitionLetter = s.source(source.Source{
		Kind:         source.OtherSource,
		Title:        "Coalition letter to UN leadership asking that Hamas be listed again in the annex, 25 November 2025",
		Organisation: "Coalition of 29 organisations led by Hadassah, The Women's Zionist Organization of America",
		PublishedOn:  "2025-11-25",
		Language:     "en",
		Reliability:  source.UnknownReliability,
		Description: "Sent on the opening day of the 16 Days of Activism against Gender-Based Violence to Secretary-General António " +
			"Guterres, SRSG-SVC Pramila Patten and UN Women Executive Director Sima Sami Bahous; another report counts 28 Jewish, " +
			"women's rights, human rights, Muslim and interfaith organisations. Quoted signatories: Carol Ann Schwartz (National " +
			"President, Hadassah) and Anila Ali (President, American Muslim and Multifaith Women's Empowerment Council). Demands: " +
			"list Hamas again in the annex of the forthcoming report, explicitly citing ongoing sexual violence against hostages; " +
			"develop an international, survivor-centred protocol for prevention, investigation and response; the Security Council " +
			"to consider designating Hamas a terrorist organisation. Grounds: two consecutive years of record-high CRSV; UN " +
			"Women's nearly eight weeks before condemning; the Special Rapporteur's rejection of the UN's own findings; evidence " +
			"from Human Rights Watch, EU sanctions and US Department of Justice charges identifying rape, sexualised torture and " +
			"gender-based violence on 7 October and against hostages held in Gaza through 2025; the 1995 Beijing Declaration. An " +
			"advocacy letter relaying others' findings; not assessed as a source of facts.",
	})
	x.amnesty = s.source(source.Source{
		Kind:         source.NGOReport,
		Title:        "Targeting Civilians: Killings, Hostage-Taking, and Other Violations by Palestinian Armed Groups in Israel and Gaza",
		Organisation: "Amnesty International",
		PublishedOn:  "2025-12-11",
		Language:     "en",
		Reliability:  source.High,
		Description: "173 pages (one outlet says 177); published 11 December 2025 (Reuters says 10 December: UNCONFIRMED). Finds " +
			"violations of international humanitarian law, war crimes and, for the first time for 7 October, crimes against " +
			"humanity: murder, extermination, imprisonment, torture, enforced disappearance, rape and other forms of sexual " +
			"violence, and other inhumane acts, committed \"as part of a widespread and systematic attack against a civilian " +
			"population\". Fighters were instructed to target civilians, and holding hostages was an \"explicitly stated plan\"; " +
			"everyone taken to Gaza was unlawfully detained as a hostage and subjected to psychological abuse. Documents rape, gang " +
			"rape and sexual assault during the attacks and against hostages in captivity. Holds Hamas's Qassam Brigades chiefly " +
			"responsible; also names the Al-Quds Brigades, the Al-Aqsa Martyrs' Brigades and others to a lesser extent, and " +
			"hundreds of Palestinians in civilian clothing. Method: 70 interviews, more than 350 videos and photos; attribution by " +
			"insignia, weapons and Hamas's own media. Counts 1,221 dead (official figures) and 251 hostages, 44 of them already " +
			"dead. Obstacles stated: survivors and witnesses reluctant to speak; limited forensic evidence. Where the UN said acts " +
			"\"may have\" amounted to crimes against humanity and referred to \"armed Palestinian groups\", Amnesty makes a " +
			"determination and names groups.",
	})
	x.sea2024 = s.source(source.Source{
		Kind:         source.UNReport,
		Title:        "Special measures for protection from sexual exploitation and abuse: report of the Secretary-General (2024 data)",
		Organisation: secretaryGeneral,
		PublishedOn:  "2025-03-18",
		Language:     "en",
		Reliability:  source.High,
		Description: "The annual report under General Assembly resolution 57/306, released on 18 March 2025. Figures as reported by " +
			"the Associated Press (19 March 2025); the document symbol is not in the reference.",
	})
	x.seaLetter = s.source(source.Source{
		Kind:         source.OtherSource,
		Title:        "Open letter to the Secretary-General on sexual exploitation and abuse by UN personnel in peace operations",
		Organisation: "Mouvement Mondial des Mères",
		Language:     "en",
		Reliability:  source.UnknownReliability,
		Description: "Undated; the signature block lists members of the Security Council, the President of the General Assembly and " +
			"the Mouvement Mondial des Mères. Recalls resolutions 1325 (2000) and 1820 (2008, \"zero tolerance\"). Demands: state " +
			"publicly that there will be no impunity for UN personnel who engage in any form of exploitation, including sexual " +
			"abuse; the Secretary-General personally takes leadership and responsibility; SRSGs are held personally responsible " +
			"for any infraction, with their resignation sought in case of violation; every measure to bring UN personnel involved " +
			"in sexual exploitation and abuse to international justice. It reports no incident, so no demo incident cites it.",
	})
	return x
}
