package survivor_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/app"
	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/db/dbtest"
	"github.com/dossier-org/dossier/internal/incident"
	"github.com/dossier-org/dossier/internal/integrity"
	"github.com/dossier-org/dossier/internal/record"
	"github.com/dossier-org/dossier/internal/seal"
	"github.com/dossier-org/dossier/internal/survivor"
)

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m)) }

// Synthetic values: no real person has them.
const (
	synthName      = "Nadira Synthetica Quillfeather"
	synthContact   = "+249 91 555 0142 via the cousin at the well"
	synthResidence = "Block 7, tent 42, Synthetic Camp East"
	synthTestimony = "They came at dawn to the Quillfeather orchard near the blue water tower and took my sister to the barracks"
)

type fixture struct {
	t      *testing.T
	d      *db.DB
	ctx    context.Context
	sealer *seal.Sealer
	s      *survivor.Store
	admin  survivor.Access
}

func newFixture(t *testing.T, d *db.DB) *fixture {
	t.Helper()
	ctx := record.WithActor(context.Background(), "test:investigator")
	sealer, err := seal.Open(ctx, d, "", seal.Options{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{t: t, d: d, ctx: ctx, sealer: sealer, s: survivor.NewStore(d, sealer), admin: survivor.Administrator(ctx)}
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) add(code string, id survivor.Identity) *survivor.Survivor {
	f.t.Helper()
	sv := &survivor.Survivor{Code: code, Sex: incident.Female, AgeGroup: incident.Adult, Synthetic: true,
		Preferences: survivor.Preferences{InterviewerSex: survivor.FemaleInterviewer, Languages: []string{"ar"}}}
	f.must(f.s.Create(f.ctx, f.admin, sv, id))
	return sv
}

func (f *fixture) consent(sv *survivor.Survivor, use survivor.Use, d survivor.Decision, on string) {
	f.t.Helper()
	f.must(f.s.RecordConsent(f.ctx, &survivor.Consent{SurvivorID: sv.ID, Use: use, Decision: d, On: on, Language: "ar", TakenBy: "WPA Darfur 2"}))
}

func fieldCodes(err error) []string {
	errs, _ := record.AsErrors(err)
	var out []string
	for _, e := range errs {
		out = append(out, e.Field+":"+e.Code)
	}
	return out
}

// noSecret fails if err's text carries any synthetic sealed value.
func noSecret(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range []string{synthName, synthContact, synthResidence, "Quillfeather", "orchard"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("an error carries a sealed value: %v", err)
		}
	}
}

func TestSurvivorRecordAndIdentity(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sv := f.add("SYN-0042", survivor.Identity{Name: synthName, Contact: synthContact})
		if sv.Version != 1 || !slices.Equal(sv.Sealed, []survivor.Field{survivor.Name, survivor.Contact}) {
			t.Fatalf("created %+v", sv)
		}
		got, err := f.s.Find(f.ctx, "SYN-0042")
		f.must(err)
		if got.ID != sv.ID || !got.Synthetic || got.Preferences.InterviewerSex != survivor.FemaleInterviewer ||
			!slices.Equal(got.Preferences.Languages, []string{"ar"}) || !slices.Equal(got.Sealed, sv.Sealed) {
			t.Errorf("read back %+v", got)
		}

		// The code is unique.
		dup := &survivor.Survivor{Code: "SYN-0042"}
		err = f.s.Create(f.ctx, f.admin, dup, survivor.Identity{})
		if codes := fieldCodes(err); !slices.Equal(codes, []string{"code:duplicate"}) {
			t.Errorf("duplicate code: %v", err)
		}
		// A name typed as the code is refused, and the error does not quote it.
		err = f.s.Create(f.ctx, f.admin, &survivor.Survivor{Code: "Nadira"}, survivor.Identity{})
		if codes := fieldCodes(err); !slices.Equal(codes, []string{"code:invalid_code"}) || strings.Contains(err.Error(), "Nadira") {
			t.Errorf("a name as code: %v", err)
		}

		// Edit: the residence is added, the contact removed, the name kept.
		edit := *got
		change := survivor.IdentityChange{}
		change.Set(survivor.Residence, synthResidence)
		change.Set(survivor.Contact, "")
		edit.ChildAtInterview = false
		f.must(f.s.Update(f.ctx, f.admin, &edit, change))
		if edit.Version != 2 || !slices.Equal(edit.Sealed, []survivor.Field{survivor.Name, survivor.Residence}) {
			t.Errorf("after edit %+v", edit)
		}
		stale := *got
		if err := f.s.Update(f.ctx, f.admin, &stale, nil); !errors.Is(err, db.ErrConflict) {
			t.Errorf("stale edit: %v", err)
		}

		rev, err := f.s.Reveal(f.ctx, f.admin, sv.ID, "Preparing the referral to the legal aid clinic")
		f.must(err)
		if rev.Identity.Name != synthName || rev.Identity.Contact != "" || rev.Identity.Residence != synthResidence || rev.Erased {
			t.Errorf("revealed %+v", rev.Identity)
		}

		// History holds no sealed value, and every version hashes as the
		// audit log recorded it.
		revs, err := record.History(f.ctx, d, survivor.Kind, sv.ID)
		f.must(err)
		if len(revs) != 2 {
			t.Fatalf("%d revisions", len(revs))
		}
		entries, err := audit.EntriesFor(f.ctx, d, sv.ID)
		f.must(err)
		hashes := map[int]string{}
		for _, e := range entries {
			if e.Kind == string(survivor.Kind) {
				hashes[e.Version] = e.ContentHash
			}
		}
		for _, r := range revs {
			for _, s := range []string{synthName, synthResidence, synthContact} {
				if strings.Contains(string(r.Snapshot), s) {
					t.Errorf("version %d's snapshot holds a sealed value", r.Version)
				}
			}
			sum := sha256.Sum256(r.Snapshot)
			if h := hex.EncodeToString(sum[:]); h != hashes[r.Version] {
				t.Errorf("version %d hashes %s, the log says %s", r.Version, h, hashes[r.Version])
			}
		}
	})
}

func TestAccessToSealedValues(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sv := f.add("SYN-0007", survivor.Identity{Name: synthName})
		purpose := "Checking the identity before the court hearing"
		for name, c := range map[string]struct {
			who  survivor.Access
			want error
		}{
			"nobody logged in":  {survivor.Access{Actor: "web"}, survivor.ErrNotLoggedIn},
			"without the grant": {survivor.Access{Actor: "user:analyst", LoggedIn: true}, survivor.ErrNotPermitted},
			"with the grant":    {survivor.Access{Actor: "user:wpa", LoggedIn: true, SeeIdentities: true}, nil},
		} {
			_, err := f.s.Reveal(f.ctx, c.who, sv.ID, purpose)
			if !errors.Is(err, c.want) {
				t.Errorf("%s: Reveal = %v, want %v", name, err, c.want)
			}
			_, err = f.s.Search(f.ctx, c.who, "orchard", purpose)
			if !errors.Is(err, c.want) {
				t.Errorf("%s: Search = %v, want %v", name, err, c.want)
			}
			err = f.s.Create(f.ctx, c.who, &survivor.Survivor{Code: "SYN-" + name[:3] + "1"}, survivor.Identity{Name: synthName})
			if c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("%s: Create with an identity = %v, want %v", name, err, c.want)
			}
			noSecret(t, err)
		}
		// A purpose is required, and refused reads are not recorded.
		_, err := f.s.Reveal(f.ctx, f.admin, sv.ID, "  ")
		if codes := fieldCodes(err); !slices.Equal(codes, []string{"purpose:required"}) {
			t.Errorf("no purpose: %v", err)
		}
		reads, err := f.s.Reads(f.ctx, sv.ID)
		f.must(err)
		if len(reads) != 1 || reads[0].Actor != "user:wpa" || reads[0].Purpose != purpose || reads[0].Outcome != survivor.Opened {
			t.Errorf("reads %+v", reads)
		}
		// The read is in the audit log: one entry per field, the purpose's hash.
		entries, err := audit.EntriesFor(f.ctx, d, sv.ID)
		f.must(err)
		var readEntries []audit.Entry
		for _, e := range entries {
			if e.Kind == survivor.AuditReadKind {
				readEntries = append(readEntries, e)
			}
		}
		if len(readEntries) != 4 {
			t.Fatalf("%d read entries in the audit log, want 4 (one per identity field)", len(readEntries))
		}
		for _, e := range readEntries {
			if e.ContentHash != survivor.PurposeHash(purpose) || e.Actor != "user:wpa" || !strings.HasPrefix(e.Action, "read:") {
				t.Errorf("audit entry %+v", e)
			}
		}
		if readEntries[0].Index != reads[0].AuditIndex {
			t.Errorf("the read names audit entry %d, the log has %d", reads[0].AuditIndex, readEntries[0].Index)
		}
	})
}

func TestConsent(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sv := f.add("SYN-0100", survivor.Identity{})
		check := func(code string, use survivor.Use, want bool, reason string) {
			t.Helper()
			ok, why, err := survivor.Allowed(f.ctx, d, code, use)
			f.must(err)
			if ok != want || !strings.Contains(why, reason) {
				t.Errorf("Allowed(%q, %s) = %v, %q; want %v, %q", code, use, ok, why, want, reason)
			}
		}
		check("SYN-0100", survivor.Documentation, false, "no consent to documentation recorded")
		check("SYN-9999", survivor.Documentation, false, "no survivor record")
		check("", survivor.Statistics, true, "no individual victim is named")

		f.consent(sv, survivor.Documentation, survivor.Given, "2024-02-01")
		f.consent(sv, survivor.UNSharing, survivor.Given, "2024-02-01")
		f.consent(sv, survivor.Media, survivor.Refused, "2024-02-01")
		check("SYN-0100", survivor.Documentation, true, "given on 2024-02-01")
		check("SYN-0100", survivor.Media, false, "refused on 2024-02-01")

		// Nothing to withdraw; a withdrawal before the consent.
		err := f.s.RecordConsent(f.ctx, &survivor.Consent{SurvivorID: sv.ID, Use: survivor.Media, Decision: survivor.Withdrawn,
			On: "2024-03-01", Language: "ar", TakenBy: "WPA"})
		if codes := fieldCodes(err); !slices.Equal(codes, []string{"decision:nothing_to_withdraw"}) {
			t.Errorf("withdrawing a refusal: %v", err)
		}
		err = f.s.RecordConsent(f.ctx, &survivor.Consent{SurvivorID: sv.ID, Use: survivor.UNSharing, Decision: survivor.Withdrawn,
			On: "2024-01-01", Language: "ar", TakenBy: "WPA"})
		if codes := fieldCodes(err); !slices.Equal(codes, []string{"on:before_consent"}) {
			t.Errorf("withdrawing before consenting: %v", err)
		}
		err = f.s.RecordConsent(f.ctx, &survivor.Consent{SurvivorID: sv.ID, Use: "gossip", Decision: survivor.Given, On: "2999-01-01"})
		if codes := fieldCodes(err); !slices.Equal(codes, []string{"use:not_allowed", "on:in_future", "language:required", "taken_by:required"}) {
			t.Errorf("a bad entry: %v", codes)
		}

		added, err := f.s.Withdraw(f.ctx, sv.ID, nil, "2024-04-01", "ar", "WPA Darfur 2")
		f.must(err)
		if len(added) != 2 {
			t.Fatalf("withdrew %d uses, want the 2 consented to", len(added))
		}
		check("SYN-0100", survivor.Documentation, false, "withdrawn on 2024-04-01")
		// The index many checks use agrees with the one-by-one answer.
		for _, use := range survivor.Uses {
			ix, err := survivor.NewConsentIndex(f.ctx, d, use)
			f.must(err)
			for _, code := range []string{"SYN-0100", "SYN-9999", ""} {
				one, err := survivor.ConsentFor(f.ctx, d, code, use)
				f.must(err)
				if got := ix.Check(code); got != one {
					t.Errorf("%s %s: index %+v, one by one %+v", code, use, got, one)
				}
			}
		}
		history, err := f.s.Consents(f.ctx, sv.ID)
		f.must(err)
		if len(history) != 5 || history[0].Decision != survivor.Given || history[4].Decision != survivor.Withdrawn ||
			history[0].RecordedBy != "test:investigator" || history[0].TakenBy != "WPA Darfur 2" {
			t.Errorf("history %+v", history)
		}
		entries, err := audit.EntriesFor(f.ctx, d, sv.ID)
		f.must(err)
		n := 0
		for _, e := range entries {
			if e.Kind == survivor.AuditConsentKind {
				n++
				if e.Index != history[n-1].AuditIndex || e.Action != string(history[n-1].Use)+":"+string(history[n-1].Decision) {
					t.Errorf("audit entry %+v for %+v", e, history[n-1])
				}
			}
		}
		if n != 5 {
			t.Errorf("%d consent entries in the audit log, want 5", n)
		}
	})
}

func TestInterviews(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sv := f.add("SYN-0200", survivor.Identity{Name: synthName})
		iv := &survivor.Interview{SurvivorID: sv.ID, HeldOn: "2024-03-02", Interviewer: "Investigator Farah",
			InterviewerSex: incident.Female, Language: "ar", Place: "partner clinic", Safeguards: survivor.Confirmable}
		f.must(f.s.AddInterview(f.ctx, f.admin, iv, synthTestimony))
		if !iv.HasTestimony || iv.Status != survivor.Draft {
			t.Fatalf("added %+v", iv)
		}

		// No consent to documentation yet: the interview cannot be completed,
		// and the reason says so.
		_, err := f.s.CompleteInterview(f.ctx, iv.ID, iv.Version)
		errs, _ := record.AsErrors(err)
		if fe := errs.For("safeguards.informed_consent"); fe == nil || !strings.Contains(fe.Message, "no consent to documentation recorded") {
			t.Fatalf("completing without consent: %v", err)
		}
		f.consent(sv, survivor.Documentation, survivor.Given, "2024-03-01")
		done, err := f.s.CompleteInterview(f.ctx, iv.ID, iv.Version)
		f.must(err)
		if done.Status != survivor.Complete || done.Version != 2 {
			t.Errorf("completed %+v", done)
		}
		// A completed interview is final.
		edit := *done
		edit.Place = "elsewhere"
		if err := f.s.UpdateInterview(f.ctx, f.admin, &edit, nil); !slices.Equal(fieldCodes(err), []string{"status:complete"}) {
			t.Errorf("editing a completed interview: %v", err)
		}

		// A second interview needs a reason.
		second := &survivor.Interview{SurvivorID: sv.ID, HeldOn: "2024-05-02", Interviewer: "Prosecution analyst",
			InterviewerSex: incident.Male, Language: "en"}
		err = f.s.AddInterview(f.ctx, f.admin, second, "")
		if codes := fieldCodes(err); !slices.Equal(codes, []string{"further_reason:further_interview"}) ||
			!strings.Contains(err.Error(), "already interviewed once (on 2024-03-02 by Investigator Farah, complete)") {
			t.Fatalf("second interview without a reason: %v", err)
		}
		second.FurtherReason = "The prosecutor needs the survivor to identify the unit's insignia."
		f.must(f.s.AddInterview(f.ctx, f.admin, second, ""))
		checks, err := f.s.Checklist(f.ctx, *second)
		f.must(err)
		blocked := map[survivor.Safeguard]string{}
		for _, c := range checks {
			if c.Blocks() {
				blocked[c.Safeguard] = c.Reason
			}
		}
		if !strings.Contains(blocked[survivor.PreferencesHonoured], "asked for a female interviewer") ||
			!strings.Contains(blocked[survivor.PreferencesHonoured], "the interview is in en") {
			t.Errorf("preferences not checked: %v", blocked)
		}
		if _, ok := blocked[survivor.FurtherInterview]; ok {
			t.Error("the reason for a further interview was not taken")
		}
		// Editing the first interview never asks it for a reason.
		list, err := f.s.Interviews(f.ctx, sv.ID)
		f.must(err)
		if len(list) != 2 || list[0].ID != iv.ID {
			t.Fatalf("interviews %+v", list)
		}

		// The testimony reads back, through a recorded read.
		tm, err := f.s.RevealTestimony(f.ctx, f.admin, iv.ID, "Drafting the witness statement for the prosecutor")
		f.must(err)
		if tm.Text != synthTestimony || tm.Read.Fields[0] != survivor.Testimony {
			t.Errorf("testimony %+v", tm)
		}
		// A child survivor brings the children's safeguards.
		child := &survivor.Survivor{Code: "SYN-0201", AgeGroup: incident.Child, ChildAtInterview: true}
		f.must(f.s.Create(f.ctx, f.admin, child, survivor.Identity{}))
		f.consent(child, survivor.Documentation, survivor.Given, "2024-03-01")
		civ := &survivor.Interview{SurvivorID: child.ID, HeldOn: "2024-03-02", Interviewer: "Child specialist",
			InterviewerSex: incident.Female, Language: "fr", Safeguards: survivor.Confirmable[:6], Status: survivor.Complete}
		err = f.s.AddInterview(f.ctx, f.admin, civ, "")
		if codes := fieldCodes(err); !slices.Contains(codes, "safeguards.guardian_or_best_interest:safeguard_unmet") {
			t.Errorf("a child interview added as complete without the children's safeguards: %v", codes)
		}
	})
}

func TestSearchAndErase(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		a := f.add("SYN-0300", survivor.Identity{Name: synthName, Residence: synthResidence})
		b := f.add("SYN-0301", survivor.Identity{Name: "Other Synthetic Person"})
		f.consent(a, survivor.Documentation, survivor.Given, "2024-01-01")
		f.consent(a, survivor.Statistics, survivor.Given, "2024-01-01")
		ia := &survivor.Interview{SurvivorID: a.ID, HeldOn: "2024-02-01", Interviewer: "Farah", InterviewerSex: incident.Female, Language: "ar"}
		f.must(f.s.AddInterview(f.ctx, f.admin, ia, synthTestimony))
		ib := &survivor.Interview{SurvivorID: b.ID, HeldOn: "2024-02-02", Interviewer: "Farah", InterviewerSex: incident.Female, Language: "ar"}
		f.must(f.s.AddInterview(f.ctx, f.admin, ib, "The soldiers took us to the barracks at night"))

		purpose := "Finding every account of the barracks for the pattern analysis"
		matches, err := f.s.Search(f.ctx, f.admin, "BARRACKS", purpose)
		f.must(err)
		if len(matches) != 2 {
			t.Fatalf("matches %+v", matches)
		}
		matches, err = f.s.Search(f.ctx, f.admin, "barracks orchard", purpose)
		f.must(err)
		if len(matches) != 1 || matches[0].Code != "SYN-0300" || matches[0].InterviewID != ia.ID {
			t.Errorf("two words: %+v", matches)
		}
		reads, err := f.s.Reads(f.ctx, a.ID)
		f.must(err)
		if len(reads) != 2 || reads[0].Outcome != survivor.Matched || !slices.Equal(reads[0].InterviewIDs, []string{ia.ID}) {
			t.Errorf("searches as reads: %+v", reads)
		}

		// Erasure: a full withdrawal.
		erased, err := f.s.Erase(f.ctx, a.ID, survivor.Erasure{Reason: survivor.FullWithdrawal, On: "2024-06-01", Language: "ar", TakenBy: "WPA Darfur 2"})
		f.must(err)
		if !erased.Erased() || erased.Erasure != survivor.FullWithdrawal {
			t.Fatalf("erased %+v", erased)
		}
		rev, err := f.s.Reveal(f.ctx, f.admin, a.ID, "Checking what is left after the erasure")
		f.must(err)
		if !rev.Erased || rev.Identity != (survivor.Identity{}) || rev.Read.Outcome != survivor.Gone {
			t.Errorf("after erasure, revealed %+v", rev)
		}
		tm, err := f.s.RevealTestimony(f.ctx, f.admin, ia.ID, "Checking what is left after the erasure")
		f.must(err)
		if !tm.Erased || tm.Text != "" {
			t.Errorf("after erasure, testimony %+v", tm)
		}
		matches, err = f.s.Search(f.ctx, f.admin, "orchard", purpose)
		f.must(err)
		if len(matches) != 0 {
			t.Errorf("the erased testimony is still found: %+v", matches)
		}
		// The key is gone: even the sealer itself cannot open what was sealed.
		var ct []byte
		f.must(d.QueryRow(f.ctx, `SELECT sealed_name FROM survivors WHERE id = $1`, a.ID).Scan(&ct))
		if _, err := f.sealer.Open(f.ctx, a.ID, "name", ct); !errors.Is(err, seal.ErrShredded) {
			t.Errorf("open after erasure: %v", err)
		}
		// Non-identifying data stays; consent is withdrawn for every use.
		ok, reason, err := survivor.Allowed(f.ctx, d, "SYN-0300", survivor.Statistics)
		f.must(err)
		if ok || !strings.Contains(reason, "withdrawn on 2024-06-01") {
			t.Errorf("statistics after a full withdrawal: %v %q", ok, reason)
		}
		detail, err := f.s.Detail(f.ctx, a.ID)
		f.must(err)
		if detail.Code != "SYN-0300" || len(detail.ConsentHistory) != 4 || len(detail.Interviews) != 1 {
			t.Errorf("detail after erasure %+v", detail)
		}
		// Nothing sealed can be added again; a second erasure is refused.
		edit := detail.Survivor
		change := survivor.IdentityChange{}
		change.Set(survivor.Name, "again")
		if err := f.s.Update(f.ctx, f.admin, &edit, change); !errors.Is(err, survivor.ErrErased) {
			t.Errorf("sealing after erasure: %v", err)
		}
		if _, err := f.s.Erase(f.ctx, a.ID, survivor.Erasure{Reason: survivor.ErasureRequest, On: "2024-06-02", Language: "ar", TakenBy: "WPA"}); !slices.Equal(fieldCodes(err), []string{"survivor:erased"}) {
			t.Errorf("erasing twice: %v", err)
		}
		// The audit log says a shredding happened, with a hash only.
		entries, err := audit.EntriesFor(f.ctx, d, a.ID)
		f.must(err)
		shreds := 0
		for _, e := range entries {
			if e.Kind == survivor.AuditShredKind {
				shreds++
				if len(e.ContentHash) != 64 || e.Action != "shredded" {
					t.Errorf("shred entry %+v", e)
				}
			}
		}
		if shreds != 1 {
			t.Errorf("%d shred entries", shreds)
		}
		// The other survivor is untouched.
		other, err := f.s.Reveal(f.ctx, f.admin, b.ID, "Checking the other survivor is intact", survivor.Name)
		f.must(err)
		if other.Identity.Name != "Other Synthetic Person" {
			t.Errorf("the other survivor: %+v", other.Identity)
		}
	})
}

func TestActsOfTheSurvivor(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		sv := f.add("SYN-0400", survivor.Identity{})
		in := &incident.Incident{Title: "Raid on the synthetic village", Date: record.Date{Start: "2023-11-04"},
			Acts: []incident.Act{
				{ViolationType: incident.Rape, Victim: incident.Victim{Code: "SYN-0400", Sex: incident.Female}},
				{ViolationType: incident.SexualSlavery, Victim: incident.Victim{Code: "SYN-0401"}},
			}}
		f.must(incident.NewStore(d).Create(f.ctx, in))
		detail, err := f.s.Detail(f.ctx, sv.ID)
		f.must(err)
		if len(detail.Acts) != 1 || detail.Acts[0].IncidentID != in.ID || detail.Acts[0].ViolationType != incident.Rape {
			t.Errorf("acts %+v", detail.Acts)
		}
	})
}

func TestLoadDemo(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		n, err := f.s.LoadDemo(f.ctx, []string{"SYN-0001", "SYN-0002", "SYN-0003", "SYN-0004"})
		f.must(err)
		if n != 3 {
			t.Fatalf("%d demo survivors", n)
		}
		all, err := f.s.List(f.ctx)
		f.must(err)
		for _, s := range all {
			if !s.Synthetic {
				t.Errorf("%s is not marked synthetic", s.Code)
			}
			rev, err := f.s.Reveal(f.ctx, f.admin, s.ID, "Checking the demo data says it is synthetic", survivor.Name)
			f.must(err)
			if !strings.Contains(rev.Identity.Name, "not a real person") {
				t.Errorf("%s: demo name %q does not say it is synthetic", s.Code, rev.Identity.Name)
			}
		}
		first, err := f.s.Detail(f.ctx, all[0].ID)
		f.must(err)
		if len(first.Interviews) != 1 || first.Interviews[0].Status != survivor.Complete || !first.Consent[0].Allows() {
			t.Errorf("first demo survivor %+v", first)
		}
		if !all[1].ChildAtInterview {
			t.Error("the second demo survivor should be a child, to show the children's safeguards")
		}
	})
}

// TestVerifiesAgainstTheAuditLog: survivors and interviews are records
// whose every version the audit log vouches for; dossier verify finds them
// intact after creation, edits, completion and erasure.
func TestVerifiesAgainstTheAuditLog(t *testing.T) {
	dbtest.ForEachEngine(t, func(t *testing.T, d *db.DB) {
		f := newFixture(t, d)
		key, err := audit.LoadKey(t.TempDir())
		f.must(err)
		a := app.New(d).WithSealer(f.sealer)
		a.LogKey = key
		if _, err := a.Survivors.LoadDemo(f.ctx, []string{"SYN-0001", "SYN-0002"}); err != nil {
			t.Fatal(err)
		}
		all, err := a.Survivors.List(f.ctx)
		f.must(err)
		sv := all[1].Survivor
		iv := &survivor.Interview{SurvivorID: sv.ID, HeldOn: "2024-02-01", Interviewer: "Farah", InterviewerSex: incident.Female, Language: "fr"}
		f.must(a.Survivors.AddInterview(f.ctx, f.admin, iv, synthTestimony))
		if _, err := a.Survivors.Erase(f.ctx, all[0].ID, survivor.Erasure{Reason: survivor.FullWithdrawal, On: "2024-06-01", Language: "ar", TakenBy: "WPA"}); err != nil {
			t.Fatal(err)
		}
		report, err := integrity.Verify(f.ctx, a)
		f.must(err)
		if !report.OK() || report.Records != 4 { // two survivors, two interviews
			t.Fatalf("verification: %+v", report)
		}
		// Altering a survivor outside Dossier is found.
		f.must(d.Write(f.ctx, func(tx *db.Tx) error {
			_, err := tx.Exec(f.ctx, `UPDATE survivors SET age_group = 'adult' WHERE id = $1`, sv.ID)
			return err
		}))
		report, err = integrity.Verify(f.ctx, a)
		f.must(err)
		if report.OK() {
			t.Fatal("an altered survivor record passes verification")
		}
	})
}
