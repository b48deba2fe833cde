package evidence

import (
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/audit"
	"github.com/dossier-org/dossier/internal/record"
)

// AuditKind is the kind of custody events in the audit log.
const AuditKind = "custody"

// EventKind is what happened to an item in its chain of custody.
type EventKind string

const (
	Collected   EventKind = "collected"
	Received    EventKind = "received"
	Transferred EventKind = "transferred"
	Accessed    EventKind = "accessed"
	Copied      EventKind = "copied"
	Analysed    EventKind = "analysed"
	Exported    EventKind = "exported"
	Returned    EventKind = "returned"
	Destroyed   EventKind = "destroyed"
)

// EventKinds lists every kind of custody event, in the order of an item's
// life.
var EventKinds = []EventKind{Collected, Received, Transferred, Accessed, Copied, Analysed, Exported, Returned, Destroyed}

var eventLabels = map[EventKind]string{
	Collected:   "Collected",
	Received:    "Received",
	Transferred: "Transferred",
	Accessed:    "Accessed",
	Copied:      "Copied",
	Analysed:    "Analysed",
	Exported:    "Exported",
	Returned:    "Returned",
	Destroyed:   "Destroyed",
}

// Label is the event kind's English name.
func (k EventKind) Label() string {
	if l, ok := eventLabels[k]; ok {
		return l
	}
	return string(k)
}

// HashSource says where an event's hash comes from.
type HashSource string

const (
	// Computed: Dossier hashed the bytes itself when the event happened.
	Computed HashSource = "computed"
	// Reported: a person reports the hash they computed outside Dossier.
	Reported HashSource = "reported"
	// NoHash: nobody verified the content at that moment.
	NoHash HashSource = ""
)

// Event is one link in an item's chain of custody (Berkeley Protocol para.
// 167: custodians and control, date and time, transfer, analysis and
// disposition). Events are only ever appended: a mistake is corrected by a
// further event that says so.
type Event struct {
	ID         string    `json:"id"`
	EvidenceID string    `json:"evidence_id"`
	Kind       EventKind `json:"kind"`
	// By is who did it or held the item; Recipient, to whom it went
	// (transferred, returned, copied or exported to someone).
	By        string    `json:"by"`
	Recipient string    `json:"recipient,omitempty"`
	At        time.Time `json:"at"`
	Place     string    `json:"place,omitempty"`
	Purpose   string    `json:"purpose,omitempty"`
	// SHA256 is the content's hash as verified at that moment, and
	// HashSource who verified it.
	SHA256     string     `json:"sha256,omitempty"`
	HashSource HashSource `json:"hash_source,omitempty"`
	Notes      string     `json:"notes,omitempty"`
	// RecordedAt and RecordedBy say when and by whom the event was entered,
	// which for an outside event may be long after At.
	RecordedAt time.Time `json:"recorded_at"`
	RecordedBy string    `json:"recorded_by"`
	// AuditIndex is the event's entry in the audit log.
	AuditIndex uint64 `json:"audit_index"`
}

// ContentHash is what the audit log vouches for: the event as recorded,
// without its own place in the log (which is assigned by appending it).
func (e Event) ContentHash() (string, error) {
	e.AuditIndex = 0
	return audit.HashJSON(e)
}

func (e *Event) normalize() {
	e.By = strings.TrimSpace(e.By)
	e.Recipient = strings.TrimSpace(e.Recipient)
	e.Place = strings.TrimSpace(e.Place)
	e.Purpose = strings.TrimSpace(e.Purpose)
	e.Notes = strings.TrimSpace(e.Notes)
	e.SHA256 = strings.ToLower(strings.TrimSpace(e.SHA256))
	if !e.At.IsZero() {
		e.At = e.At.UTC().Truncate(time.Microsecond)
	}
}

// Validate reports every problem with the event, naming its fields.
func (e *Event) Validate() error {
	var errs record.Errors
	record.OneOf(&errs, "kind", e.Kind, EventKinds)
	errs.Required("by", e.By)
	errs.MaxLength("by", e.By, 300)
	errs.MaxLength("recipient", e.Recipient, 300)
	if e.Kind == Transferred && e.Recipient == "" {
		errs.Add("recipient", "required", "say to whom the item was transferred")
	}
	if e.At.IsZero() {
		errs.Add("at", "required", "say when it happened")
	} else if e.At.After(time.Now().Add(5 * time.Minute)) {
		errs.Add("at", "in_future", "is in the future")
	}
	errs.MaxLength("place", e.Place, 300)
	errs.MaxLength("purpose", e.Purpose, 2000)
	if e.SHA256 != "" && !ValidSHA256(e.SHA256) {
		errs.Add("sha256", "invalid_sha256", "must be a SHA-256 in hexadecimal (64 characters)")
	}
	errs.MaxLength("notes", e.Notes, 20000)
	return errs.Err()
}

// Matches says whether the event's hash is the item's: true or false when
// a hash was verified, nil when none was.
func (e Event) Matches(it *Item) *bool {
	if e.SHA256 == "" {
		return nil
	}
	ok := e.SHA256 == it.Blob.SHA256
	return &ok
}
