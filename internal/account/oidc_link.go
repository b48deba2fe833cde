package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// OIDCIdentity is an identity at an OpenID provider linked to a user: the
// only way single sign-on reaches an account.
type OIDCIdentity struct {
	Issuer      string    `json:"issuer"`
	Subject     string    `json:"subject"`
	UserID      string    `json:"user_id"`
	LinkedAt    time.Time `json:"linked_at"`
	LinkedBy    string    `json:"linked_by"`
	LastLoginAt time.Time `json:"last_login_at,omitzero"`
}

// Account events of single sign-on.
const (
	OIDCLinked   Action = "oidc.link"
	OIDCUnlinked Action = "oidc.unlink"
	// OIDCLogin: the provider vouched for a linked identity and a session
	// (complete or awaiting TOTP) follows.
	OIDCLogin Action = "login.oidc"
	// OIDCRefused: the provider vouched for an identity that may not log
	// in: linked to nobody, or to a disabled or locked user.
	OIDCRefused Action = "login.oidc.refuse"
	// OIDCFailed: a sign-in begun here came back without a valid ID token
	// (the provider refused, the code did not exchange, the token failed
	// verification).
	OIDCFailed Action = "login.oidc.fail"
)

// maxSubjectLength is the longest subject OpenID Connect allows (255 ASCII
// characters).
const maxSubjectLength = 255

// identityView is what the audit log vouches for about a linked identity.
type identityView struct {
	Issuer  string `json:"issuer"`
	Subject string `json:"subject"`
}

func validateIdentity(errs *record.Errors, issuer, subject string) {
	switch {
	case issuer == "":
		errs.Add("oidc_issuer", "required", "is required")
	case checkProviderURL(issuer) != nil:
		errs.Add("oidc_issuer", "invalid", "%q %v", issuer, checkProviderURL(issuer))
	}
	switch {
	case subject == "":
		errs.Add("oidc_subject", "required", "is required")
	case len(subject) > maxSubjectLength:
		errs.Add("oidc_subject", "too_long", "has %d characters; a subject has at most %d", len(subject), maxSubjectLength)
	case strings.IndexFunc(subject, func(r rune) bool { return r > unicode.MaxASCII || unicode.IsControl(r) }) >= 0:
		errs.Add("oidc_subject", "invalid", "%q holds characters a subject cannot (printable ASCII only)", subject)
	}
}

// LinkOIDC lets the identity issuer+subject log in as the user. An
// identity links to one user only; a user may have several (one per
// provider, or old and new accounts at one). The issuer must be written
// exactly as the provider's discovery document states it, and the subject
// as the provider gives it (the login page shows it to whoever is refused).
func (s *Store) LinkOIDC(ctx context.Context, userID, issuer, subject string) (*OIDCIdentity, error) {
	issuer, subject = strings.TrimSpace(issuer), strings.TrimSpace(subject)
	var errs record.Errors
	validateIdentity(&errs, issuer, subject)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	id := &OIDCIdentity{Issuer: issuer, Subject: subject, UserID: userID, LinkedAt: s.now(), LinkedBy: record.Actor(ctx)}
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		if _, err := getUser(ctx, tx, `id = $1`, userID); err != nil {
			return err
		}
		var holder string
		err := tx.QueryRow(ctx, `SELECT u.name FROM oidc_identities i JOIN users u ON u.id = i.user_id
			WHERE i.issuer = $1 AND i.subject = $2`, issuer, subject).Scan(&holder)
		if err == nil {
			var errs record.Errors
			errs.Add("oidc_subject", "taken", "this identity is already linked to %s", holder)
			return errs
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read linked identities: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO oidc_identities (issuer, subject, user_id, linked_at, linked_by)
			VALUES ($1, $2, $3, $4, $5)`, issuer, subject, userID, db.FormatTime(id.LinkedAt), id.LinkedBy); err != nil {
			return fmt.Errorf("link the identity: %w", err)
		}
		return s.event(ctx, tx, OIDCLinked, userID, identityView{issuer, subject})
	})
	if err != nil {
		return nil, err
	}
	return id, nil
}

// UnlinkOIDC removes the user's linked identities that match: subject ""
// matches every subject, issuer "" every issuer. It returns how many went
// (db.ErrNotFound when none matched). Every session of the user ends too:
// a session opened through an identity must not outlive its link, and
// sessions do not record how they were opened.
func (s *Store) UnlinkOIDC(ctx context.Context, userID, issuer, subject string) (int, error) {
	issuer, subject = strings.TrimSpace(issuer), strings.TrimSpace(subject)
	var removed []identityView
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		rows, err := tx.Query(ctx, `DELETE FROM oidc_identities WHERE user_id = $1 AND ($2 = '' OR issuer = $2)
			AND ($3 = '' OR subject = $3) RETURNING issuer, subject`, userID, issuer, subject)
		if err != nil {
			return fmt.Errorf("unlink identities: %w", err)
		}
		for rows.Next() {
			var v identityView
			if err := rows.Scan(&v.Issuer, &v.Subject); err != nil {
				rows.Close()
				return err
			}
			removed = append(removed, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("unlink identities: %w", err)
		}
		if len(removed) == 0 {
			return db.ErrNotFound
		}
		for _, v := range removed {
			if err := s.event(ctx, tx, OIDCUnlinked, userID, v); err != nil {
				return err
			}
		}
		return s.revokeSessionsTx(ctx, tx, userID, "")
	})
	return len(removed), err
}

// OIDCIdentities lists the identities linked to a user, or to anyone when
// userID is "", by issuer and subject.
func (s *Store) OIDCIdentities(ctx context.Context, userID string) ([]OIDCIdentity, error) {
	rows, err := s.db.Query(ctx, `SELECT issuer, subject, user_id, linked_at, linked_by, last_login_at FROM oidc_identities
		WHERE $1 = '' OR user_id = $1 ORDER BY issuer, subject`, userID)
	if err != nil {
		return nil, fmt.Errorf("list linked identities: %w", err)
	}
	defer rows.Close()
	var out []OIDCIdentity
	for rows.Next() {
		var id OIDCIdentity
		var linked, last string
		if err := rows.Scan(&id.Issuer, &id.Subject, &id.UserID, &linked, &id.LinkedBy, &last); err != nil {
			return nil, fmt.Errorf("list linked identities: %w", err)
		}
		if id.LinkedAt, err = db.ParseTime(linked); err != nil {
			return nil, err
		}
		if last != "" {
			if id.LastLoginAt, err = db.ParseTime(last); err != nil {
				return nil, err
			}
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// LinkedIssuers lists the issuers of every linked identity, each once, in
// order: where only one provider is in use, links may default to it.
func (s *Store) LinkedIssuers(ctx context.Context) ([]string, error) {
	rows, err := s.db.Query(ctx, `SELECT DISTINCT issuer FROM oidc_identities ORDER BY issuer`)
	if err != nil {
		return nil, fmt.Errorf("list the issuers of linked identities: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var issuer string
		if err := rows.Scan(&issuer); err != nil {
			return nil, fmt.Errorf("list the issuers of linked identities: %w", err)
		}
		out = append(out, issuer)
	}
	return out, rows.Err()
}
