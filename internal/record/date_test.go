package record

import "testing"

func TestDateNormalize(t *testing.T) {
	cases := []struct {
		in   Date
		want Date
		text string
	}{
		{Date{Start: "2023-10-07"}, Date{"2023-10-07", "2023-10-07", DateDay}, "2023-10-07"},
		{Date{Start: "2023-02", Precision: DateMonth}, Date{"2023-02-01", "2023-02-28", DateMonth}, "2023-02"},
		{Date{Start: "2024-02-17", Precision: DateMonth}, Date{"2024-02-01", "2024-02-29", DateMonth}, "2024-02"},
		{Date{Start: "2023", Precision: DateYear}, Date{"2023-01-01", "2023-12-31", DateYear}, "2023"},
		{Date{Start: "2023-10-07", End: "2024-11-30"}, Date{"2023-10-07", "2024-11-30", DateRange}, "2023-10-07 – 2024-11-30"},
		{Date{Start: "2023-10-07", Precision: DateApproximate}, Date{"2023-10-07", "2023-10-07", DateApproximate}, "≈ 2023-10-07"},
		{Date{}, Date{Precision: DateUnknown}, ""},
	}
	for _, c := range cases {
		got := c.in.Normalize()
		if got != c.want {
			t.Errorf("%+v.Normalize() = %+v, want %+v", c.in, got, c.want)
		}
		if got.String() != c.text {
			t.Errorf("%+v.String() = %q, want %q", got, got.String(), c.text)
		}
		if err := got.Validate("date.").Err(); err != nil {
			t.Errorf("%+v: %v", got, err)
		}
	}
}

func TestDateValidate(t *testing.T) {
	cases := []struct {
		d     Date
		field string
	}{
		{Date{Start: "2023-10-32", End: "2023-10-32", Precision: DateDay}, "date.start"},
		{Date{Start: "2023-10-07", End: "2023-10-01", Precision: DateRange}, "date.end"},
		{Date{Start: "2023-10-07", Precision: DateUnknown}, "date.precision"},
		{Date{Start: "2023-10-07", End: "2023-10-07", Precision: "sometime"}, "date.precision"},
	}
	for _, c := range cases {
		if errs := c.d.Validate("date."); errs.For(c.field) == nil {
			t.Errorf("%+v: no error for %s (got %v)", c.d, c.field, errs)
		}
	}
}

func TestDateOverlaps(t *testing.T) {
	month := Date{Start: "2023-10-01", End: "2023-10-31", Precision: DateMonth}
	cases := []struct {
		from, to string
		want     bool
	}{
		{"", "", true},
		{"2023-10-15", "2023-10-15", true},
		{"2023-11-01", "", false},
		{"", "2023-09-30", false},
		{"2023-09-30", "2023-10-01", true},
	}
	for _, c := range cases {
		if got := month.Overlaps(c.from, c.to); got != c.want {
			t.Errorf("Overlaps(%q, %q) = %v, want %v", c.from, c.to, got, c.want)
		}
	}
	if (Date{Precision: DateUnknown}).Overlaps("2023-01-01", "") {
		t.Error("an unknown date matched a period")
	}
}
