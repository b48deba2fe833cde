package incident

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/dossier-org/dossier/internal/db"
	"github.com/dossier-org/dossier/internal/party"
)

// The list filters on what an act is (its violation, its victim's age
// group, the party behind it) and orders by the incident's date. Checking
// each incident's acts while walking incidents in date order is slow when
// few incidents match; collecting the matches first is slow when many do.
// So every act also has narrow rows keyed by its incident's list key,
// carrying what the list filters on:
//
//   - act_facets: one row per act and violation it counts as (its own type,
//     and its family when that differs: gang rape is also rape), so that a
//     violation filter is one value;
//   - party_facets: the same, once more for each party behind the act and
//     each of that party's parents ("Hamas or its units" is one value),
//     stored in party then list-key order.
//
// Each has indexes by the filters (alone and in the pairs lists combine)
// then list key, so a filtered list walks one range in date order, checks
// the rest on the same rows, and stops after a page. The incident's own
// filter columns (situation, status, case, end date) are copied in, so the
// walk never leaves the narrow rows.
//
// The rows hold numbers, not names: a party's, situation's and case's
// number (their column number) and a code for each value of violation,
// age group and status (violationCodes, ageCodes, statusCodes). With
// 36-character IDs and the names, the rows and their indexes were three
// times wider, and writing a quarter of a million-incident store's rows
// in key order and building their indexes took 11.2–12.2 s against
// 6.9–7.6 s.

func facetTables(d db.Dialect) []string {
	columns := `violation SMALLINT NOT NULL,
		age_group SMALLINT NOT NULL,
		situation BIGINT,
		status SMALLINT NOT NULL,
		case_number BIGINT,
		date_end TEXT NOT NULL`
	clustered := ` WITHOUT ROWID`
	if d == db.Postgres {
		clustered = ``
	}
	tables := []string{
		`CREATE TABLE act_facets (list_key BIGINT NOT NULL, act_seq INTEGER NOT NULL, ` + columns +
			`, PRIMARY KEY (list_key, act_seq, violation))` + clustered,
		`CREATE TABLE party_facets (party BIGINT NOT NULL, list_key BIGINT NOT NULL, act_seq INTEGER NOT NULL, ` +
			columns + `, PRIMARY KEY (party, list_key, act_seq, violation))` + clustered,
	}
	if d == db.Postgres {
		tables = append(tables, partyIncidentsTable) // partyincidents.go
	}
	return tables
}

// The codes of the enumerations in the per-act rows. They are stored, so
// a value keeps its code for good and a new value takes a new one
// (TestFacetCodes checks that every value has one of its own).
var (
	violationCodes = map[ViolationType]int64{Rape: 1, GangRape: 2, AttemptedRape: 3, SexualSlavery: 4,
		ForcedProstitution: 5, ForcedPregnancy: 6, ForcedAbortion: 7, EnforcedSterilization: 8, ForcedMarriage: 9,
		Trafficking: 10, SexualAssault: 11, SexualTorture: 12, GenitalViolence: 13, ForcedNudity: 14,
		SexualMutilation: 15, SexualViolenceOnCorpses: 16, OtherComparableGravity: 17}
	ageCodes    = map[AgeGroup]int64{Child: 1, Adult: 2, UnknownAge: 3}
	statusCodes = map[Status]int64{Draft: 1, UnderReview: 2, Verified: 3}
)

// codeSQL is the SQL expression for the code of column's value.
func codeSQL[V ~string](column string, codes map[V]int64) string {
	var b strings.Builder
	b.WriteString(`CASE ` + column)
	for _, v := range slices.Sorted(maps.Keys(codes)) {
		fmt.Fprintf(&b, ` WHEN '%s' THEN %d`, v, codes[v])
	}
	b.WriteString(` END`)
	return b.String()
}

// facetIndexes are built after the rows, once. Their names are the walks
// of list_plan.go. Each ends with the case's number: nearly every list is
// made for someone restricted to their cases, and a walk that had to read
// the row for it read a page per match (at a million incidents, counting a
// thousand matches of situation + violation took 31 ms on a first run and
// 3.6 ms on a second, against 0.1–0.3 ms with no case to check).
func facetIndexes(d db.Dialect) []string {
	out := []string{
		`CREATE INDEX act_facets_violation ON act_facets (violation, list_key, case_number)`,
		`CREATE INDEX act_facets_age ON act_facets (age_group, list_key, case_number)`,
		`CREATE INDEX act_facets_violation_age ON act_facets (violation, age_group, list_key, case_number)`,
		`CREATE INDEX act_facets_situation_violation ON act_facets (situation, violation, list_key, case_number)`,
		`CREATE INDEX party_facets_violation ON party_facets (party, violation, list_key, age_group, case_number)`,
		partyFacetsAgeIndex,
		`CREATE INDEX party_facets_list ON party_facets (list_key)`,
	}
	if d == db.Postgres {
		// PostgreSQL does not keep a table in key order; the covering index
		// lets a walk by party read only the index.
		out = append(out, `CREATE INDEX party_facets_walk ON party_facets (party, list_key)
			INCLUDE (act_seq, violation, age_group, situation, status, case_number, date_end)`, partyIncidentsIndex)
	}
	return out
}

// partyFacetsAgeIndex walks a party's acts of one age group, and checks in
// one seek that an incident has such an act. Without it, a party with an
// age group walked all the party's rows: on PostgreSQL, a common word with
// a party and an age group merged the word's rows with 315,434 rows of a
// large party at a million incidents, of which 78,922 were of the age
// group (61 ms). Migration 22 builds it in older stores.
const partyFacetsAgeIndex = `CREATE INDEX party_facets_age ON party_facets (party, age_group, list_key, case_number)`

func init() {
	db.RegisterMigration(22, func(ctx context.Context, tx *sql.Tx, d db.Dialect) error {
		analyze := `ANALYZE party_facets_age`
		if d == db.Postgres {
			analyze = `ANALYZE party_facets`
		}
		for _, q := range []string{strings.Replace(partyFacetsAgeIndex, `INDEX`, `INDEX IF NOT EXISTS`, 1), analyze} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("index a party's acts by age group: %w", err)
			}
		}
		return nil
	})
}

// Migration 13 first built the rows with case numbers (migration 12);
// migration 19 builds them anew with the numbers of parties and
// situations (migration 18) and codes, and SQLite's full-text index, whose
// facets it reads from them.
func init() {
	db.RegisterMigration(13, func(context.Context, *sql.Tx, db.Dialect) error { return nil })
	db.RegisterMigration(19, func(ctx context.Context, tx *sql.Tx, d db.Dialect) error {
		if err := rebuildFacets(ctx, tx, d); err != nil {
			return err
		}
		return migrateSearch(ctx, tx, d)
	})
}

// rebuildFacets drops the per-act rows, if any, and builds them from the
// incidents and their acts.
func rebuildFacets(ctx context.Context, tx *sql.Tx, d db.Dialect) error {
	exec := func(queries ...string) error {
		for _, q := range queries {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%.60s…: %w", q, err)
			}
		}
		return nil
	}
	if err := exec(`DROP TABLE IF EXISTS act_facets`, `DROP TABLE IF EXISTS party_facets`, `DROP TABLE IF EXISTS party_incidents`); err != nil {
		return err
	}
	if err := exec(facetTables(d)...); err != nil {
		return err
	}
	if err := buildFacets(ctx, tx.ExecContext, ""); err != nil {
		return err
	}
	if d == db.Postgres {
		if err := writePartyIncidents(ctx, tx.ExecContext, ""); err != nil {
			return err
		}
		// Otherwise the planner has no statistics for the new tables until
		// autovacuum reaches them.
		return exec(append(facetIndexes(d), `ANALYZE act_facets, party_facets, party_incidents`)...)
	}
	return exec(facetIndexes(d)...)
}

// violationsSQL lists, as SQL rows (type, code of what it counts as),
// each violation type with itself and each form with its family.
func violationsSQL() string {
	var rows []string
	for _, v := range ViolationTypes {
		rows = append(rows, fmt.Sprintf(`('%s', %d)`, v, violationCodes[v]))
		if f := v.Family(); f != v {
			rows = append(rows, fmt.Sprintf(`('%s', %d)`, v, violationCodes[f]))
		}
	}
	return `(VALUES ` + strings.Join(rows, `, `) + `) AS counts_as`
}

type execFunc func(ctx context.Context, query string, args ...any) (sql.Result, error)

// buildFacets writes the facet rows of the acts that where selects (a
// condition on acts a; "" for every act). The party rows' query repeats
// the condition outside its recursive part: without it, SQLite, not knowing
// how many rows the recursion yields, could start from the violation types
// and index every act by type for each write (96 ms an incident at 60,000
// acts, and growing with them).
func buildFacets(ctx context.Context, exec execFunc, where string, args ...any) error {
	if where == "" {
		where = `1 = 1`
	}
	facts := `counts_as.column2, ` + codeSQL("a.victim_age_group", ageCodes) + `, s.number, ` +
		codeSQL("i.status", statusCodes) + `, c.number, i.date_end`
	incidents := ` JOIN incidents i ON i.id = a.incident_id LEFT JOIN cases c ON c.id = i.case_id
		LEFT JOIN situations s ON s.id = i.situation_id`
	violations := ` JOIN ` + violationsSQL() + ` ON counts_as.column1 = a.violation_type`
	if _, err := exec(ctx, `INSERT INTO act_facets (list_key, act_seq, violation, age_group,
		situation, status, case_number, date_end)
		SELECT i.list_key, a.seq, `+facts+` FROM acts a`+incidents+violations+
		` WHERE `+where+` ORDER BY 1, 2, 3`, args...); err != nil {
		return fmt.Errorf("index acts for lists: %w", err)
	}
	if _, err := exec(ctx, `INSERT INTO party_facets (party, list_key, act_seq, violation,
		age_group, situation, status, case_number, date_end)
		WITH RECURSIVE up (act_id, party_id) AS (
			SELECT p.act_id, p.party_id FROM act_perpetrators p JOIN acts a ON a.id = p.act_id
			WHERE p.party_id IS NOT NULL AND `+where+`
			UNION SELECT up.act_id, parent.parent_id FROM up JOIN parties parent ON parent.id = up.party_id
			WHERE parent.parent_id IS NOT NULL)
		SELECT party.number, i.list_key, a.seq, `+facts+`
		FROM up JOIN parties party ON party.id = up.party_id JOIN acts a ON a.id = up.act_id`+incidents+violations+
		` WHERE `+where+` ORDER BY 1, 2, 3, 4`, args...); err != nil {
		return fmt.Errorf("index acts by party for lists: %w", err)
	}
	return nil
}

// writeFacets replaces the facet rows of one incident; in a bulk load it
// stages them instead (bulkLoad.stage).
func writeFacets(ctx context.Context, tx *db.Tx, in *Incident, key, oldKey int64) error {
	if oldKey != 0 {
		if err := deleteFacets(ctx, tx, `list_key = $1`, oldKey); err != nil {
			return err
		}
	}
	if b := bulkLoadOf(ctx); b != nil {
		return b.stage(ctx, tx, in, key)
	}
	if err := buildFacets(ctx, tx.Exec, `a.incident_id = $1`, in.ID); err != nil {
		return err
	}
	if tx.Dialect() != db.Postgres {
		return nil
	}
	return writePartyIncidents(ctx, tx.Exec, `$1`, key)
}

func deleteFacets(ctx context.Context, tx *db.Tx, where string, args ...any) error {
	tables := []string{"act_facets", "party_facets"}
	if tx.Dialect() == db.Postgres {
		tables = append(tables, "party_incidents")
	}
	for _, table := range tables {
		if _, err := tx.Exec(ctx, `DELETE FROM `+table+` WHERE `+where, args...); err != nil {
			return fmt.Errorf("clear %s: %w", table, err)
		}
	}
	return nil
}

// bulkLoad is the state of a load into an empty store. Its incidents skip
// their full-text rows, and their facet rows are staged, as Go has them, in
// a temporary table with no index; FinishBulkLoad then writes both in key
// order. Joining a million incidents' acts and perpetrators back by ID
// costs far more, and inserting in key order keeps each index write
// sequential.
type bulkLoad struct {
	// lineage is the numbers of each party and its parents, read once: a
	// party does not move during a load.
	lineage map[string][]int64
	// lastSeq is the last list-key number drawn (see nextSeq); 0 before
	// the first.
	lastSeq int64
	// numbers is each case's and situation's number, read once.
	numbers map[string]int64
	// search builds the full-text index beside the store (searchbuild.go);
	// nil on PostgreSQL.
	search *searchBuild
}

type bulkLoadKey struct{}

func bulkLoadOf(ctx context.Context) *bulkLoad {
	b, _ := ctx.Value(bulkLoadKey{}).(*bulkLoad)
	return b
}

// The staged rows are party_facets' (party 0 for the act itself).
const stagingColumns = `party, list_key, act_seq, violation, age_group, situation, status, case_number, date_end`

// BeginBulkLoad starts a load into an empty store; incidents inserted
// under the returned context are indexed by FinishBulkLoad, in the same
// transaction. Call end once the transaction is over, committed or not:
// it stops what the load runs beside the transaction.
func BeginBulkLoad(ctx context.Context, tx *db.Tx) (_ context.Context, end func() error, _ error) {
	if _, err := tx.Exec(ctx, `CREATE TEMPORARY TABLE facets_staging (party BIGINT NOT NULL, list_key BIGINT NOT NULL,
		act_seq INTEGER NOT NULL, violation SMALLINT NOT NULL, age_group SMALLINT NOT NULL, situation BIGINT,
		status SMALLINT NOT NULL, case_number BIGINT, date_end TEXT NOT NULL)`); err != nil {
		return ctx, nil, fmt.Errorf("stage the list's per-act rows: %w", err)
	}
	b := &bulkLoad{lineage: map[string][]int64{}, numbers: map[string]int64{}}
	end = func() error { return nil }
	if tx.Dialect() == db.SQLite {
		search, err := startSearchBuild(ctx, tx)
		if err != nil {
			return ctx, nil, err
		}
		if search != nil {
			b.search = search
			tx.Deferred("incident search build", func() db.Deferred { return search })
			end = search.end
		}
	}
	return context.WithValue(ctx, bulkLoadKey{}, b), end, nil
}

// stage queues the facet rows of one incident: party 0 for the act
// itself, then each party behind it and their parents, once each.
func (b *bulkLoad) stage(ctx context.Context, tx *db.Tx, in *Incident, key int64) error {
	caseNumber, err := b.number(ctx, tx, "cases", in.CaseID)
	if err != nil {
		return err
	}
	situation, err := b.number(ctx, tx, "situations", in.SituationID)
	if err != nil {
		return err
	}
	var doc *searchDoc
	if b.search != nil {
		doc = &searchDoc{key: key, title: in.Title, summary: in.Summary, placeName: in.Place.Name,
			placeArea: in.Place.AdminArea, facets: []string{situationFacet + in.SituationID, statusFacet + string(in.Status)}}
	}
	for i, a := range in.Acts {
		parties := []int64{0}
		for _, p := range a.Perpetrators {
			if p.PartyID == "" {
				continue
			}
			lineage, err := b.lineageOf(ctx, tx, p.PartyID)
			if err != nil {
				return err
			}
			for _, n := range lineage {
				if !slices.Contains(parties, n) {
					parties = append(parties, n)
				}
			}
		}
		violations := []int64{violationCodes[a.ViolationType]}
		if f := a.ViolationType.Family(); f != a.ViolationType {
			violations = append(violations, violationCodes[f])
		}
		for _, party := range parties {
			for _, v := range violations {
				if err := tx.Queue(ctx, "facets_staging", stagingBatch, writeStaging, party, key, i, v,
					ageCodes[a.Victim.AgeGroup], situation, statusCodes[in.Status], caseNumber, in.Date.End); err != nil {
					return err
				}
			}
		}
		if doc != nil {
			// As searchFacetsSQL reads them back from the per-act rows.
			for _, v := range violations {
				doc.facets = append(doc.facets, violationFacet+strconv.FormatInt(v, 10),
					ageFacet+strconv.FormatInt(ageCodes[a.Victim.AgeGroup], 10))
			}
			for _, party := range parties[1:] {
				doc.facets = append(doc.facets, partyFacet+strconv.FormatInt(party, 10))
			}
		}
	}
	if doc != nil {
		b.search.add(*doc)
	}
	return nil
}

// number is the number of the row of table (cases or situations) with id,
// nil for none.
func (b *bulkLoad) number(ctx context.Context, tx *db.Tx, table, id string) (any, error) {
	if id == "" {
		return nil, nil
	}
	n, ok := b.numbers[id]
	if !ok {
		if err := tx.QueryRow(ctx, `SELECT number FROM `+table+` WHERE id = $1`, id).Scan(&n); err != nil {
			return nil, fmt.Errorf("read the number of %s %s: %w", strings.TrimSuffix(table, "s"), id, err)
		}
		b.numbers[id] = n
	}
	return n, nil
}

func (b *bulkLoad) lineageOf(ctx context.Context, tx *db.Tx, partyID string) ([]int64, error) {
	if l, ok := b.lineage[partyID]; ok {
		return l, nil
	}
	lineage, err := db.Column[int64](tx.Query(ctx, `SELECT number FROM parties WHERE id IN (`+party.LineageSQL("$1")+`)`, partyID))
	if err != nil {
		return nil, fmt.Errorf("read the parents of party %s: %w", partyID, err)
	}
	b.lineage[partyID] = lineage
	return lineage, nil
}

const stagingBatch = 256

func writeStaging(ctx context.Context, tx *db.Tx, rows [][]any) error {
	args := make([]any, 0, len(rows)*9)
	for _, r := range rows {
		args = append(args, r...)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO facets_staging (`+stagingColumns+`) VALUES `+db.ValuesList(len(rows), 9), args...); err != nil {
		return fmt.Errorf("stage the list's per-act rows: %w", err)
	}
	return nil
}

// ListTables are the tables behind the incident list that a bulk load
// fills at its end (FinishBulkLoad); incident_words and party_incidents
// exist on PostgreSQL only.
var ListTables = []string{"act_facets", "party_facets", "incident_words", "party_incidents"}

// FinishBulkLoad writes the per-act rows and the full-text index (SQLite) or
// the table of words (PostgreSQL) of every incident after a load begun with
// BeginBulkLoad, in list-key order, and builds their indexes once
// afterwards.
func FinishBulkLoad(ctx context.Context, tx *db.Tx) error {
	b := bulkLoadOf(ctx)
	if b != nil && b.lastSeq != 0 {
		if err := storeSeq(ctx, tx, b.lastSeq); err != nil {
			return err
		}
	}
	if b != nil && b.search != nil {
		// The full-text index is built beside the store while the writer
		// goes on below, and copied in before the commit (searchbuild.go).
		if err := b.search.finishRows(ctx, tx); err != nil {
			return err
		}
	}
	if err := tx.FlushQueue(ctx, "facets_staging"); err != nil {
		return err
	}
	indexes := facetIndexes(tx.Dialect())
	for _, ddl := range indexes {
		if _, err := tx.Exec(ctx, `DROP INDEX IF EXISTS `+strings.Fields(ddl)[2]); err != nil {
			return fmt.Errorf("set the list's indexes aside: %w", err)
		}
	}
	facts := `violation, age_group, situation, status, case_number, date_end`
	for _, q := range []string{
		`INSERT INTO act_facets (list_key, act_seq, ` + facts + `) SELECT list_key, act_seq, ` + facts +
			` FROM facets_staging WHERE party = 0 ORDER BY list_key, act_seq, violation`,
		`INSERT INTO party_facets (party, list_key, act_seq, ` + facts + `) SELECT party, list_key, act_seq, ` + facts +
			` FROM facets_staging WHERE party <> 0 ORDER BY party, list_key, act_seq, violation`,
		`DROP TABLE facets_staging`,
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("write the list's per-act rows: %w", err)
		}
	}
	if tx.Dialect() == db.Postgres {
		if err := writePartyIncidents(ctx, tx.Exec, ""); err != nil {
			return err
		}
	}
	for _, ddl := range indexes {
		if _, err := tx.Exec(ctx, ddl); err != nil {
			return fmt.Errorf("build the list's indexes: %w", err)
		}
	}
	if tx.Dialect() != db.SQLite {
		return buildWords(ctx, tx.Exec)
	}
	if b != nil && b.search != nil {
		return nil
	}
	return indexSearch(ctx, tx.Exec)
}

// A party moved under another parent changes which ranges its acts, and
// its units' acts, belong to: their rows are written again, and so are the
// full-text rows of their incidents, whose facets name the parties.
func init() {
	party.OnMove(func(ctx context.Context, tx *db.Tx, partyID string) error {
		acts := `a.id IN (SELECT p.act_id FROM act_perpetrators p WHERE p.party_id IN (` + party.SubtreeSQL("$1") + `))`
		if _, err := tx.Exec(ctx, `DELETE FROM party_facets WHERE (list_key, act_seq) IN (
			SELECT i.list_key, a.seq FROM acts a JOIN incidents i ON i.id = a.incident_id WHERE `+acts+`)`, partyID); err != nil {
			return fmt.Errorf("re-index the acts of party %s: %w", partyID, err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM act_facets WHERE (list_key, act_seq) IN (
			SELECT i.list_key, a.seq FROM acts a JOIN incidents i ON i.id = a.incident_id WHERE `+acts+`)`, partyID); err != nil {
			return fmt.Errorf("re-index the acts of party %s: %w", partyID, err)
		}
		if err := buildFacets(ctx, tx.Exec, acts, partyID); err != nil {
			return err
		}
		if tx.Dialect() == db.Postgres {
			keys := `SELECT i.list_key FROM acts a JOIN incidents i ON i.id = a.incident_id WHERE ` + acts
			if _, err := tx.Exec(ctx, `DELETE FROM party_incidents WHERE list_key IN (`+keys+`)`, partyID); err != nil {
				return fmt.Errorf("re-index the incidents of party %s: %w", partyID, err)
			}
			return writePartyIncidents(ctx, tx.Exec, keys, partyID)
		}
		// The parties among the facets of SQLite's full-text rows.
		return reindexSearch(ctx, tx, `i.id IN (SELECT a.incident_id FROM acts a WHERE `+acts+`)`, partyID)
	})
}
