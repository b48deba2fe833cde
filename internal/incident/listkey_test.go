package incident

import "testing"

func TestListKeysFollowDates(t *testing.T) {
	days := []string{"", "0001-01-01", "0001-01-02", "1944-06-06", "1969-12-31", "1970-01-01", "2023-10-07", "2023-10-08", "9999-12-31"}
	for i := 1; i < len(days); i++ {
		// The largest number one day can hold stays below the next day's first.
		if a, b := listKey(days[i-1], 1<<seqBits-1), listKey(days[i], 1); a >= b {
			t.Errorf("%q (%d) does not sort before %q (%d)", days[i-1], a, days[i], b)
		}
	}
	if got := dayNumber("0001-01-01"); got != 1 {
		t.Errorf("day of 0001-01-01 = %d, want 1", got)
	}
	if got, want := dayNumber("2023-10-08")-dayNumber("2023-10-07"), int64(1); got != want {
		t.Errorf("consecutive days differ by %d", got)
	}
	if k := listKey("9999-12-31", 1<<seqBits-1); k < 0 {
		t.Errorf("the last key overflows: %d", k)
	}
	if got := seqOf(listKey("2023-10-07", 12345)); got != 12345 {
		t.Errorf("seqOf = %d", got)
	}
	if keysBefore("2023-10-07") != listKey("2023-10-08", 0) {
		t.Error("keysBefore is not the first key of the next day")
	}
}
