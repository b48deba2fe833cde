package account

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/record"
)

// User is an account, without its secrets.
type User struct {
	ID          string `json:"id"`
	Name        string `json:"name"` // the login name: lower case, unique
	DisplayName string `json:"display_name"`
	Role        Role   `json:"role"`
	// SeeIdentities is the per-user grant to open sealed survivor fields.
	// It only takes effect in a session that passed the second factor.
	SeeIdentities bool `json:"see_identities"`
	Disabled      bool `json:"disabled"`
	// TOTP says the user has an active authenticator: every login then
	// needs a code.
	TOTP bool `json:"totp"`
	// MustChangePassword: the password was generated and shown to an
	// administrator; until the user chooses their own, the account may do
	// nothing else (see PasswordChangeDue on Principal).
	MustChangePassword bool      `json:"must_change_password"`
	LockedUntil        time.Time `json:"locked_until,omitzero"`
	PasswordChangedAt  time.Time `json:"password_changed_at"`
	CreatedAt          time.Time `json:"created_at"`
	CreatedBy          string    `json:"created_by"`
	UpdatedAt          time.Time `json:"updated_at"`
	UpdatedBy          string    `json:"updated_by"`
}

// Locked reports whether failed logins have locked the account at now.
func (u *User) Locked(now time.Time) bool { return now.Before(u.LockedUntil) }

// auditView is what the audit log vouches for about a user: who they are and
// what they may do, never a secret.
func (u *User) auditView() any {
	return struct {
		ID            string `json:"id"`
		Name          string `json:"name"`
		DisplayName   string `json:"display_name"`
		Role          Role   `json:"role"`
		SeeIdentities bool   `json:"see_identities"`
		Disabled      bool   `json:"disabled"`
		TOTP          bool   `json:"totp"`
		MustChange    bool   `json:"must_change_password"`
	}{u.ID, u.Name, u.DisplayName, u.Role, u.SeeIdentities, u.Disabled, u.TOTP, u.MustChangePassword}
}

// NewUser is what it takes to add a user.
type NewUser struct {
	Name        string
	DisplayName string
	Role        Role
	Password    string
	// MustChangePassword asks the user to choose their own password at
	// their next login: set it when Password was generated and shown to
	// whoever adds the user.
	MustChangePassword bool
}

var userName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// NormalizeName is the login name as stored: trimmed and in lower case, so
// that "Alice" and "alice" are one account.
func NormalizeName(name string) string { return strings.ToLower(strings.TrimSpace(name)) }

func validateName(errs *record.Errors, name string) {
	switch {
	case name == "":
		errs.Add("name", "required", "is required")
	case !userName.MatchString(name):
		errs.Add("name", "invalid", "%q must be 1 to 64 characters: letters a–z, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
}

func validateRole(errs *record.Errors, r Role) {
	if !r.Valid() {
		record.OneOf(errs, "role", r, Roles)
	}
}

// AddUser creates an account. The password must meet the length rules; a
// caller without one uses GeneratePassword and shows it once.
func (s *Store) AddUser(ctx context.Context, nu NewUser) (*User, error) {
	nu.Name = NormalizeName(nu.Name)
	nu.DisplayName = strings.TrimSpace(nu.DisplayName)
	var errs record.Errors
	validateName(&errs, nu.Name)
	errs.MaxLength("display_name", nu.DisplayName, 200)
	validateRole(&errs, nu.Role)
	if err := checkPassword(nu.Password); err != nil {
		e, _ := record.AsErrors(err)
		errs = append(errs, e...)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	hash, err := s.hasher.hash(ctx, nu.Password)
	if err != nil {
		return nil, err
	}
	now, actor := s.now(), record.Actor(ctx)
	u := &User{ID: record.NewID(), Name: nu.Name, DisplayName: nu.DisplayName, Role: nu.Role, MustChangePassword: nu.MustChangePassword,
		PasswordChangedAt: now, CreatedAt: now, CreatedBy: actor, UpdatedAt: now, UpdatedBy: actor}
	err = s.db.Write(ctx, func(tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (id, name, display_name, role, password_hash, password_changed_at,
			must_change_password, created_at, created_by, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			u.ID, u.Name, u.DisplayName, string(u.Role), hash, db.FormatTime(now), u.MustChangePassword,
			db.FormatTime(now), actor, db.FormatTime(now), actor)
		if err != nil {
			err = db.Explain(err)
			if errors.Is(err, db.ErrDuplicate) {
				var errs record.Errors
				errs.Add("name", "taken", "another user is called %q", u.Name)
				return errs
			}
			return fmt.Errorf("store user %q: %w", u.Name, err)
		}
		if err := s.event(ctx, tx, UserCreated, u.ID, u.auditView()); err != nil {
			return err
		}
		if u.MustChangePassword {
			return s.event(ctx, tx, PasswordChangeRequired, u.ID, u.auditView())
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

const userColumns = `id, name, display_name, role, see_identities, disabled, totp_state, must_change_password, locked_until,
	password_changed_at, created_at, created_by, updated_at, updated_by`

type rowScanner interface{ Scan(...any) error }

func scanUser(r rowScanner) (*User, error) {
	var u User
	var totp, locked, changed, created, updated string
	if err := r.Scan(&u.ID, &u.Name, &u.DisplayName, &u.Role, &u.SeeIdentities, &u.Disabled, &totp, &u.MustChangePassword, &locked,
		&changed, &created, &u.CreatedBy, &updated, &u.UpdatedBy); err != nil {
		return nil, err
	}
	u.TOTP = totp == totpActive
	var err error
	if locked != "" {
		if u.LockedUntil, err = db.ParseTime(locked); err != nil {
			return nil, err
		}
	}
	if u.PasswordChangedAt, err = db.ParseTime(changed); err != nil {
		return nil, err
	}
	if u.CreatedAt, err = db.ParseTime(created); err != nil {
		return nil, err
	}
	if u.UpdatedAt, err = db.ParseTime(updated); err != nil {
		return nil, err
	}
	return &u, nil
}

func getUser(ctx context.Context, q db.Querier, where string, arg any) (*User, error) {
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userColumns+` FROM users WHERE `+where, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, db.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read user: %w", err)
	}
	return u, nil
}

// User returns the user with this ID (db.ErrNotFound if none).
func (s *Store) User(ctx context.Context, id string) (*User, error) {
	return getUser(ctx, s.db, `id = $1`, id)
}

// UserByName returns the user with this login name (db.ErrNotFound if none).
func (s *Store) UserByName(ctx context.Context, name string) (*User, error) {
	return getUser(ctx, s.db, `name = $1`, NormalizeName(name))
}

// Users lists every account by name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.Query(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// NeedsAdmin reports whether no enabled administrator exists: on first
// start, the server serves no data until one is created with
// "dossier user add NAME --role administrator".
func (s *Store) NeedsAdmin(ctx context.Context) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE role = $1 AND NOT disabled`, string(Administrator)).Scan(&n)
	if err != nil {
		return true, fmt.Errorf("count administrators: %w", err)
	}
	return n == 0, nil
}

// update changes one user inside a transaction: fn edits the user as read,
// set lists the column assignments ("role = $2", with $1 the ID) and their
// values, and the change is logged as action.
func (s *Store) update(ctx context.Context, id string, action Action, fn func(tx *db.Tx, u *User) (set string, args []any, err error)) (*User, error) {
	var out *User
	err := s.db.Write(ctx, func(tx *db.Tx) error {
		u, err := getUser(ctx, tx, `id = $1`, id)
		if err != nil {
			return err
		}
		set, args, err := fn(tx, u)
		if err != nil {
			return err
		}
		u.UpdatedAt, u.UpdatedBy = s.now(), record.Actor(ctx)
		n := len(args) + 2
		query := fmt.Sprintf(`UPDATE users SET %s, updated_at = $%d, updated_by = $%d WHERE id = $1`, set, n, n+1)
		if _, err := tx.Exec(ctx, query, append(append([]any{id}, args...), db.FormatTime(u.UpdatedAt), u.UpdatedBy)...); err != nil {
			return fmt.Errorf("update user %s: %w", u.Name, err)
		}
		if err := s.event(ctx, tx, action, u.ID, u.auditView()); err != nil {
			return err
		}
		out = u
		return nil
	})
	return out, err
}

// SetDisplayName changes how the user is shown.
func (s *Store) SetDisplayName(ctx context.Context, id, displayName string) (*User, error) {
	displayName = strings.TrimSpace(displayName)
	var errs record.Errors
	errs.MaxLength("display_name", displayName, 200)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.update(ctx, id, UserUpdated, func(tx *db.Tx, u *User) (string, []any, error) {
		u.DisplayName = displayName
		return `display_name = $2`, []any{displayName}, nil
	})
}

// SetDisabled disables an account (ending its sessions; its tokens stop
// working) or enables it again. Enabling also lifts a lock-out.
func (s *Store) SetDisabled(ctx context.Context, id string, disabled bool) (*User, error) {
	action := UserEnabled
	if disabled {
		action = UserDisabled
	}
	return s.update(ctx, id, action, func(tx *db.Tx, u *User) (string, []any, error) {
		if disabled && u.Role == Administrator && !u.Disabled {
			if err := s.checkNotLastAdmin(ctx, tx, u.ID); err != nil {
				return "", nil, err
			}
		}
		u.Disabled = disabled
		if disabled {
			if err := s.revokeSessionsTx(ctx, tx, u.ID, ""); err != nil {
				return "", nil, err
			}
		} else {
			u.LockedUntil = time.Time{}
		}
		return `disabled = $2, failed_logins = 0, locked_until = $3`, []any{disabled, lockedValue(u.LockedUntil)}, nil
	})
}

// SetRole changes a user's role. The identities grant goes if the new role
// may not hold it; tokens scoped wider than the new role are narrowed to
// it when used (see AuthenticateToken).
func (s *Store) SetRole(ctx context.Context, id string, role Role) (*User, error) {
	var errs record.Errors
	validateRole(&errs, role)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.update(ctx, id, RoleChanged, func(tx *db.Tx, u *User) (string, []any, error) {
		if u.Role == Administrator && role != Administrator && !u.Disabled {
			if err := s.checkNotLastAdmin(ctx, tx, u.ID); err != nil {
				return "", nil, err
			}
		}
		u.Role = role
		if !role.MaySeeIdentities() {
			u.SeeIdentities = false
		}
		return `role = $2, see_identities = $3`, []any{string(role), u.SeeIdentities}, nil
	})
}

// SetSeeIdentities grants or withdraws the right to open sealed survivor
// fields. Only some roles may hold it, and only with TOTP active: a stolen
// password alone must never reveal a survivor.
func (s *Store) SetSeeIdentities(ctx context.Context, id string, grant bool) (*User, error) {
	action := IdentitiesRevoked
	if grant {
		action = IdentitiesGranted
	}
	return s.update(ctx, id, action, func(tx *db.Tx, u *User) (string, []any, error) {
		if grant {
			var errs record.Errors
			if !u.Role.MaySeeIdentities() {
				errs.Add("see_identities", "not_allowed", "the role %s may not see identities (only %s)", u.Role, identityRoleNames())
			} else if !u.TOTP {
				errs.Add("see_identities", "totp_required", "enrol %s in two-factor authentication (TOTP) first", u.Name)
			}
			if err := errs.Err(); err != nil {
				return "", nil, err
			}
		}
		u.SeeIdentities = grant
		return `see_identities = $2`, []any{grant}, nil
	})
}

func identityRoleNames() string {
	names := make([]string, len(identityRoles))
	for i, r := range identityRoles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

func (s *Store) checkNotLastAdmin(ctx context.Context, tx *db.Tx, id string) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE role = $1 AND NOT disabled AND id <> $2`,
		string(Administrator), id).Scan(&n); err != nil {
		return fmt.Errorf("count administrators: %w", err)
	}
	if n == 0 {
		return ErrLastAdministrator
	}
	return nil
}

// SetPassword replaces a user's password, as an administrator resetting
// it with one the user chose: every session of the user ends. A password
// the administrator generated goes through SetTemporaryPassword instead.
func (s *Store) SetPassword(ctx context.Context, id, password string) error {
	return s.setPassword(ctx, id, password, PasswordReset, "", false)
}

// ChangePassword replaces the user's own password after checking the
// current one. The user's other sessions end; keepSession (the session
// making the change, or "") stays.
func (s *Store) ChangePassword(ctx context.Context, id, current, password, keepSession string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	if current == "" {
		var errs record.Errors
		errs.Add("current_password", "required", "is required")
		return errs
	}
	if password == current {
		var errs record.Errors
		errs.Add("password", "unchanged", "must differ from the current password")
		return errs
	}
	var stored string
	if err := s.db.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = $1`, id).Scan(&stored); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return db.ErrNotFound
		}
		return fmt.Errorf("read user: %w", err)
	}
	ok, _, err := s.hasher.verify(ctx, current, stored)
	if err != nil {
		return err
	}
	if !ok {
		var errs record.Errors
		errs.Add("current_password", "wrong", "is not the current password")
		return errs
	}
	return s.setPassword(ctx, id, password, PasswordChanged, keepSession, false)
}

// setPassword stores a new password for the user, ending their sessions
// but keepSession, and sets or clears the request to change it.
func (s *Store) setPassword(ctx context.Context, id, password string, action Action, keepSession string, mustChange bool) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	hash, err := s.hasher.hash(ctx, password)
	if err != nil {
		return err
	}
	_, err = s.update(ctx, id, action, func(tx *db.Tx, u *User) (string, []any, error) {
		if err := s.revokeSessionsTx(ctx, tx, u.ID, keepSession); err != nil {
			return "", nil, err
		}
		u.PasswordChangedAt = s.now()
		u.LockedUntil = time.Time{}
		u.MustChangePassword = mustChange
		if mustChange {
			// The reset's own entry (action) follows, by update.
			if err := s.event(ctx, tx, PasswordChangeRequired, u.ID, u.auditView()); err != nil {
				return "", nil, err
			}
		}
		return `password_hash = $2, password_changed_at = $3, must_change_password = $4, failed_logins = 0, locked_until = ''`,
			[]any{hash, db.FormatTime(u.PasswordChangedAt), mustChange}, nil
	})
	return err
}

func lockedValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return db.FormatTime(t)
}
