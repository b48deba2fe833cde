package db

import "testing"

func TestRebind(t *testing.T) {
	d := &DB{Dialect: SQLite}
	for query, want := range map[string]string{
		`INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)`: `INSERT INTO t (a, b) VALUES (?, ?), (?, ?)`,
		`SELECT 1 WHERE a = $1 OR b = $1`:                `SELECT 1 WHERE a = ?1 OR b = ?1`,
		`SELECT 1 WHERE a = $2 AND b = $1`:               `SELECT 1 WHERE a = ?2 AND b = ?1`,
		`SELECT 1 WHERE a = $1 AND b = $3`:               `SELECT 1 WHERE a = ?1 AND b = ?3`,
		`SELECT 1`:                                       `SELECT 1`,
		`UPDATE t SET a = $1 WHERE id = $2 AND v = $10`:  `UPDATE t SET a = ?1 WHERE id = ?2 AND v = ?10`,
	} {
		if got := d.rebind(query); got != want {
			t.Errorf("rebind(%q) = %q, want %q", query, got, want)
		}
	}
	if got := (&DB{Dialect: Postgres}).rebind(`a = $1`); got != `a = $1` {
		t.Errorf("PostgreSQL keeps $1: %q", got)
	}
}
