package incident

// SetCommonTerms lets tests run text search through both of its plans.
func SetCommonTerms(n int) (restore func()) {
	old := commonTerms
	commonTerms = n
	return func() { commonTerms = old }
}
