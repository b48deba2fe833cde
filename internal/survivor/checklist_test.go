package survivor

import (
	"slices"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/incident"
)

// confirmedAll is every safeguard an interviewer confirms.
func confirmedAll() []Safeguard { return slices.Clone(Confirmable) }

func without(list []Safeguard, drop ...Safeguard) []Safeguard {
	return slices.DeleteFunc(slices.Clone(list), func(s Safeguard) bool { return slices.Contains(drop, s) })
}

func TestChecklist(t *testing.T) {
	given := ConsentState{Use: Documentation, Decision: Given, On: "2024-03-01"}
	base := Interview{HeldOn: "2024-03-02", Interviewer: "WPA team 2", InterviewerSex: incident.Female, Language: "ar",
		Safeguards: confirmedAll()}
	adult := Survivor{AgeGroup: incident.Adult, Preferences: Preferences{InterviewerSex: FemaleInterviewer, Languages: []string{"ar", "fr"}}}
	earlier := []Interview{{HeldOn: "2024-01-10", Interviewer: "UN monitor", Status: Complete}}

	cases := []struct {
		name    string
		s       situation
		blocked []Safeguard // the mandatory safeguards left unmet
		reason  string      // a phrase of the first blocking reason
	}{
		{"everything in place", situation{interview: base, survivor: adult, consent: given}, nil, ""},
		{"no consent recorded", situation{interview: base, survivor: adult, consent: ConsentState{Use: Documentation}},
			[]Safeguard{InformedConsent}, "no consent to documentation recorded"},
		{"consent withdrawn", situation{interview: base, survivor: adult, consent: ConsentState{Use: Documentation, Decision: Withdrawn, On: "2024-03-01"}},
			[]Safeguard{InformedConsent}, "withdrawn on 2024-03-01"},
		{"consent given after the interview", situation{interview: base, survivor: adult, consent: ConsentState{Use: Documentation, Decision: Given, On: "2024-03-05"}},
			[]Safeguard{InformedConsent}, "after the interview"},
		{"no care available", situation{interview: with(base, without(base.Safeguards, CareAvailable)), survivor: adult, consent: given},
			[]Safeguard{CareAvailable}, "basic care and support"},
		{"advisory item missing blocks nothing", situation{interview: with(base, without(base.Safeguards, LeastRiskMethod)), survivor: adult, consent: given}, nil, ""},
		{"male interviewer against preference", situation{interview: func() Interview { iv := base; iv.InterviewerSex = incident.Male; return iv }(), survivor: adult, consent: given},
			[]Safeguard{PreferencesHonoured}, "asked for a female interviewer"},
		{"language not preferred", situation{interview: func() Interview { iv := base; iv.Language = "en"; return iv }(), survivor: adult, consent: given},
			[]Safeguard{PreferencesHonoured}, "asked to speak ar or fr"},
		{"second interview without a reason", situation{interview: base, survivor: adult, consent: given, earlier: earlier},
			[]Safeguard{FurtherInterview}, "already interviewed once (on 2024-01-10 by UN monitor, complete)"},
		{"second interview with a reason", situation{interview: func() Interview {
			iv := base
			iv.FurtherReason = "The prosecutor needs the identification of the unit."
			return iv
		}(), survivor: adult, consent: given, earlier: earlier}, nil, ""},
		{"child without child safeguards", situation{interview: func() Interview {
			iv := base
			iv.Child = true
			iv.Safeguards = without(confirmedAll(), GuardianOrBestInterest, ChildAssent, ChildTrainedInterviewer)
			return iv
		}(), survivor: adult, consent: given},
			[]Safeguard{GuardianOrBestInterest, ChildAssent, ChildTrainedInterviewer}, "guardian consented, or a best-interest assessment"},
		{"child with child safeguards", situation{interview: func() Interview { iv := base; iv.Child = true; return iv }(), survivor: adult, consent: given}, nil, ""},
		{"nothing confirmed", situation{interview: with(base, nil), survivor: adult, consent: given},
			[]Safeguard{BenefitsOutweighRisks, CareAvailable, ReferralOffered, SafePrivatePlace, Confidentiality, InterviewerTrained}, "not confirmed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checks := checklist(c.s)
			var blocked []Safeguard
			var first string
			for _, ch := range checks {
				if ch.Blocks() {
					blocked = append(blocked, ch.Safeguard)
					if first == "" {
						first = ch.Reason
					}
					if ch.Reason == "" || len(ch.Problems) == 0 {
						t.Errorf("%s blocks without a reason", ch.Safeguard)
					}
				}
			}
			if !slices.Equal(blocked, c.blocked) {
				t.Errorf("blocked %v, want %v", blocked, c.blocked)
			}
			if c.reason != "" && !strings.Contains(first, c.reason) {
				t.Errorf("reason %q does not say %q", first, c.reason)
			}
			childItems := 0
			for _, ch := range checks {
				if ruleOf(ch.Safeguard).children {
					childItems++
				}
			}
			if want := map[bool]int{true: 3, false: 0}[c.s.interview.Child]; childItems != want {
				t.Errorf("%d safeguards for children listed, want %d", childItems, want)
			}
			errs := unmet(checks)
			if len(errs) != len(c.blocked) {
				t.Errorf("unmet gives %d errors for %d blocked safeguards", len(errs), len(c.blocked))
			}
		})
	}
}

func with(iv Interview, s []Safeguard) Interview { iv.Safeguards = s; return iv }

// TestChecklistCoversTheStandards keeps the checklist to REFERENCE.md §5:
// the WHO's recommendations 3 (care), 6 (consent) and, for children, 8 are
// mandatory; each WHO recommendation appears.
func TestChecklistCoversTheStandards(t *testing.T) {
	for n := 1; n <= 8; n++ {
		tag := "WHO " + string(rune('0'+n))
		found := false
		for _, r := range rules {
			if strings.Contains(r.source, tag) {
				found = true
			}
		}
		if !found {
			t.Errorf("no safeguard comes from %s", tag)
		}
	}
	for _, s := range []Safeguard{CareAvailable, InformedConsent, GuardianOrBestInterest} {
		if !ruleOf(s).mandatory {
			t.Errorf("%s is not mandatory", s)
		}
	}
	if !ruleOf(GuardianOrBestInterest).children || ruleOf(CareAvailable).children {
		t.Error("the children's safeguards are not marked as such")
	}
}

func TestCurrentConsent(t *testing.T) {
	history := []Consent{
		{Use: Documentation, Decision: Given, On: "2024-01-05"},
		{Use: Media, Decision: Refused, On: "2024-01-05"},
		{Use: Documentation, Decision: Withdrawn, On: "2024-02-01"},
		// A paper form from before, entered late: the later decision stands.
		{Use: Documentation, Decision: Given, On: "2024-01-20"},
		{Use: Statistics, Decision: Given, On: "2024-01-05"},
		{Use: Statistics, Decision: Withdrawn, On: "2024-01-05"},
	}
	got := currentConsent(history)
	want := map[Use]Decision{Documentation: Withdrawn, Media: Refused, Statistics: Withdrawn, LegalProceedings: "", UNSharing: "", Advocacy: ""}
	if len(got) != len(Uses) {
		t.Fatalf("%d states, want one per use", len(got))
	}
	for _, st := range got {
		if st.Decision != want[st.Use] {
			t.Errorf("%s: %q, want %q", st.Use, st.Decision, want[st.Use])
		}
	}
	if r := stateOf(got, LegalProceedings).Reason(); r != "no consent to legal proceedings recorded" {
		t.Errorf("reason %q", r)
	}
}

func TestValidCode(t *testing.T) {
	for code, ok := range map[string]bool{"SYN-0042": true, "DRC/2024-117": true, "V-001": true,
		"Amina": false, "": false, "SYN 0042": false, "-12": false, strings.Repeat("A1", 40): false} {
		if ValidCode(code) != ok {
			t.Errorf("ValidCode(%q) = %v", code, !ok)
		}
	}
}
