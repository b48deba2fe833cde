package incident

// SetSelectiveParty lets tests run the party filter through both of its plans.
func SetSelectiveParty(n int) (restore func()) {
	old := selectiveParty
	selectiveParty = n
	return func() { selectiveParty = old }
}
