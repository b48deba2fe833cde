package server

import (
	"net/http/httptest"
	"testing"
)

// Behind a proxy, a client is known by the address the proxy appended:
// whatever the client put before it is not believed.
func TestForwardedIP(t *testing.T) {
	for _, c := range []struct {
		headers []string
		want    string
	}{
		{nil, "10.0.0.2"},
		{[]string{"198.51.100.7"}, "198.51.100.7"},
		{[]string{"203.0.113.9, 198.51.100.7"}, "198.51.100.7"},   // the client claimed 203.0.113.9
		{[]string{"203.0.113.9", "198.51.100.7"}, "198.51.100.7"}, // two headers: the proxy's is last
		{[]string{"198.51.100.7, not-an-address"}, "10.0.0.2"},    // unreadable: the peer
		{[]string{"2001:db8::1"}, "2001:db8::1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "10.0.0.2:51234"
		for _, h := range c.headers {
			r.Header.Add("X-Forwarded-For", h)
		}
		if got := forwardedIP(r); got != c.want {
			t.Errorf("X-Forwarded-For %q: %s, want %s", c.headers, got, c.want)
		}
	}
}

// Plain http is allowed to this computer only.
func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:8080": true, "[::1]:8080": true, "localhost:80": true,
		"0.0.0.0:8080": false, ":8080": false, "192.0.2.1:8080": false, "dossier.example.org:80": false} {
		if got := loopback(addr); got != want {
			t.Errorf("loopback(%q) = %v", addr, got)
		}
	}
}
