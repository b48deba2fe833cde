package survivor

import (
	"context"
	"fmt"

	"github.com/dossier-org/dossier/internal/incident"
)

// demoPeople are the made-up people behind demo victim codes. Every value
// says it is synthetic, so that no screenshot or training session can pass
// one off as a real person.
var demoPeople = []struct {
	identity  Identity
	sex       incident.Sex
	age       incident.AgeGroup
	child     bool
	languages []string
	testimony string
	consents  []Use
}{
	{
		identity: Identity{Name: "Synthetic Person A (not a real person)", Contact: "Synthetic contact: none",
			Residence: "Synthetic place (demonstration data)"},
		sex: incident.Female, age: incident.Adult, languages: []string{"ar", "en"},
		testimony: "Synthetic demonstration testimony. It describes no real event and no real person: " +
			"it exists so that the search, the reads and the erasure can be tried.",
		consents: []Use{Documentation, LegalProceedings, UNSharing, Statistics},
	},
	{
		identity: Identity{Name: "Synthetic Person B (not a real person)", Residence: "Synthetic place (demonstration data)"},
		sex:      incident.Female, age: incident.Child, child: true, languages: []string{"fr"},
		consents: []Use{Documentation, Statistics},
	},
	{
		identity: Identity{Name: "Synthetic Person C (not a real person)"},
		sex:      incident.Male, age: incident.Adult, languages: []string{"en"},
	},
}

// LoadDemo adds synthetic survivors for the demo victim codes given (at
// most three), each marked Synthetic with a made-up identity that says so,
// consent to some uses, and for the first a completed interview with
// synthetic testimony. It returns how many it added. The demo record's
// codes (internal/demo) are the natural ones to pass.
func (s *Store) LoadDemo(ctx context.Context, codes []string) (int, error) {
	who := Administrator(ctx)
	const on = "2024-01-15"
	n := 0
	for i, code := range codes {
		if i == len(demoPeople) {
			break
		}
		p := demoPeople[i]
		sv := &Survivor{Code: code, Sex: p.sex, AgeGroup: p.age, ChildAtInterview: p.child, Synthetic: true,
			Preferences: Preferences{InterviewerSex: FemaleInterviewer, Languages: p.languages,
				ContactBy: []ContactRole{ByProtectionAdviser}, ContactHow: []Channel{InPerson}}}
		if err := s.Create(ctx, who, sv, p.identity); err != nil {
			return n, fmt.Errorf("demo survivor %s: %w", code, err)
		}
		for _, u := range p.consents {
			c := Consent{SurvivorID: sv.ID, Use: u, Decision: Given, On: on, Language: p.languages[0], TakenBy: "Demo protection adviser (synthetic)"}
			if err := s.RecordConsent(ctx, &c); err != nil {
				return n, fmt.Errorf("demo consent of %s: %w", code, err)
			}
		}
		if p.testimony != "" {
			iv := &Interview{SurvivorID: sv.ID, HeldOn: "2024-01-16", Interviewer: "Demo interviewer (synthetic)",
				InterviewerSex: incident.Female, Language: p.languages[0], Place: "Synthetic partner clinic",
				Safeguards: Confirmable, Status: Complete}
			if err := s.AddInterview(ctx, who, iv, p.testimony); err != nil {
				return n, fmt.Errorf("demo interview of %s: %w", code, err)
			}
		}
		n++
	}
	return n, nil
}
