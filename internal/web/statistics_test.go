package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/dossier-org/dossier/internal/db/dbtest"
)

func TestStatisticsPage(t *testing.T) {
	e := newEnv(t, dbtest.SQLite(t))

	// The seed: a gang rape of V-001, who has no survivor record and so no
	// consent (left out); a sexual torture of a child in 2023; a rape of 3
	// children on dates not known to the year.
	r := e.get("/statistics?rows=violation&cols=year", "en")
	r.wantStatus(t, http.StatusOK)
	r.contains(t, `<table class="disclosure">`, "<caption>Acts by Violation and Year</caption>",
		`<th scope="col">2023</th>`, `<th scope="col">Year not known</th>`, `<th scope="row">Rape</th>`,
		`<td class="suppressed" title="fewer than 5 (from 1 to 4)">&lt;5</td>`,
		"fewer than 5, but at least one", "hidden so that a small count cannot be worked out",
		"Some acts were left out for lack of consent to anonymised statistics.",
		`href="/api/v1/statistics?cols=year&amp;format=csv&amp;rows=violation&amp;threshold=5" download`,
		`<input type="number" id="f-threshold" name="threshold" value="5" min="3" max="1000"`, `<option value="">Every situation</option>`,
		`<option value="violation" selected>Violation</option>`, `<option value="year" selected>Year</option>`,
		`href="/statistics" aria-current="page"`)
	// No count under the threshold is ever shown.
	table := r.body[strings.Index(r.body, `<table class="disclosure">`):strings.Index(r.body, "</table>")]
	for _, small := range []string{"<td>1</td>", "<td>2</td>", "<td>3</td>", "<td>4</td>"} {
		if strings.Contains(table, small) {
			t.Errorf("the table shows a small count %s:\n%s", small, table)
		}
	}

	e.get("/statistics", "fr").contains(t, "Statistiques", "Actes par Violation et Année", "Certains actes ont été écartés")
	e.get("/statistics?rows=sex&cols=situation", "ar").contains(t, "الإحصاءات", "جنس الضحية", "Sudan")

	// The threshold and the situation, as the API and the command line take them.
	r = e.get("/statistics?rows=violation&cols=sex&threshold=10&situation="+e.sudan.ID, "en")
	r.wantStatus(t, http.StatusOK)
	r.contains(t, `<code dir="ltr">&lt;10</code>`, "fewer than 10, but at least one", `value="10"`,
		`<option value="`+e.sudan.ID+`" selected>Sudan</option>`,
		`href="/api/v1/statistics?cols=sex&amp;format=csv&amp;rows=violation&amp;situation=`+e.sudan.ID+`&amp;threshold=10" download`)
	for _, q := range []string{"threshold=2", "threshold=1001", "threshold=five"} {
		r = e.get("/statistics?rows=violation&cols=sex&"+q, "en")
		r.wantStatus(t, http.StatusBadRequest)
		r.contains(t, `id="f-threshold-error"`, "Must be between 3 and 1,000.", `aria-invalid="true"`)
		r.lacks(t, `<table class="disclosure">`)
	}
	r = e.get("/statistics?rows=violation&cols=sex&threshold=2", "ar")
	r.contains(t, "يجب أن تكون القيمة بين ٣ و١٬٠٠٠.")
	r = e.get("/statistics?rows=violation&cols=sex&situation=0190b5a4-7c7e-7b4e-9b0e-3c1a2b3c4d5e", "en")
	r.wantStatus(t, http.StatusBadRequest)
	r.contains(t, `id="f-situation-error"`, "Choose one of the values offered.")

	bad := e.get("/statistics?rows=sex&cols=sex", "en")
	bad.wantStatus(t, http.StatusBadRequest)
	bad.contains(t, "Choose two different dimensions for the rows and the columns.")
	bad.lacks(t, `<table class="disclosure">`)
}
